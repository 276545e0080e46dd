#pragma once
// The receive thread's view of how targets answer (issue 13): it owns the answer detectors of
// rate/answer_pace.hpp and feeds them every answer it classifies and every send the transmit
// threads logged (engine/send_log.hpp).
//
//   HostPaceDetector        per target host: sends to it; its SYN-ACKs/UDP answers (Positive),
//                           RSTs (Rst) and ICMP errors quoting our probe *sent by the target
//                           itself* (IcmpError; an error from a router on the way says nothing
//                           about the host's own limiter and is not fed to it)
//   PathSaturationDetector  the whole path: every send, every answer (any kind, any source)
//
// Ownership: one AnswerFeed, owned and used by the receive thread only (not thread-safe). The
// SendLogs are shared: transmit thread t appends to logs[t], the receive thread drains them all.
// Cost: per answer one clock read and two detector updates; per send one host-table update on
// the receive thread (the transmitter pays one 4-byte store per frame and one append per batch).
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/pace_board.hpp"
#include "engine/send_log.hpp"
#include "output/result.hpp"
#include "rate/answer_pace.hpp"
#include "rate/token_bucket.hpp"

namespace synscan::scanner::engine {

/// Who sent an answer: only the target's own answers reach its host detector.
enum class AnswerSource : std::uint8_t {
  kTarget,  ///< the probed host answered (TCP/UDP reply, or an ICMP error it sent itself)
  kOther,   ///< an ICMP error from another address (a router, a firewall on the way)
};

class AnswerFeed {
 public:
  /// `logs`: one per transmit thread (may be empty); `host_capacity`: hosts tracked at once;
  /// `board`: where hosts found Limited are published (null: nowhere).
  AnswerFeed(std::span<const std::unique_ptr<SendLog>> logs, std::uint32_t host_capacity,
             rate::Nanoseconds start, PaceBoard* board = nullptr);

  /// One answer to a probe of this scan (first, duplicate or late), received at `now`.
  void on_answer(std::uint32_t target, output::Reason reason, AnswerSource source,
                 rate::Nanoseconds now) noexcept;
  /// Takes every batch record the transmitters logged since the last call (call it between two
  /// capture dispatches: the logs hold about 250 ms of sends).
  void drain_sends() noexcept;

  [[nodiscard]] const rate::HostPaceDetector& hosts() const noexcept { return hosts_; }
  [[nodiscard]] rate::PathSaturationDetector& path() noexcept { return path_; }
  [[nodiscard]] std::uint64_t sends_seen() const noexcept { return sends_seen_; }

  /// The host detector's settings for a scan.
  static rate::HostPaceConfig host_config() noexcept;
  /// The reply kind a reason is for the host detector.
  static rate::ReplyKind reply_kind(output::Reason reason) noexcept;

 private:
  void publish_if_limited(std::uint32_t target, rate::ReplyKind kind) noexcept;

  std::vector<SendLog*> logs_;
  PaceBoard* board_;
  rate::HostPaceDetector hosts_;
  rate::PathSaturationDetector path_;
  std::uint64_t sends_seen_ = 0;
};

/// Hosts the receive thread tracks at once: about the hosts the window holds in flight, so a
/// host's evidence lasts its group's life, within [1024, 65536] (about 72 bytes a host).
[[nodiscard]] std::uint32_t answer_feed_capacity(std::size_t slots, std::uint32_t hosts_per_group) noexcept;

/// Words of a transmit thread's SendLog: about 250 ms of its share of the rate (2^20 when the rate
/// is unlimited), plus the record headers.
[[nodiscard]] std::size_t send_log_words(double rate_per_thread, std::uint32_t max_batch) noexcept;

}  // namespace synscan::scanner::engine
