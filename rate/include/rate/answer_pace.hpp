#pragma once
/// Detects, from the replies, answers that depend on how fast the scanner asks (issue 13):
///
/// - HostPaceDetector, per target host: error answers (ICMP unreachable, RST) arriving at a pace of
///   their own while probes to the host go unanswered. Linux answers at most one ICMP error per
///   second per peer after a burst of six (net.ipv4.icmp_ratelimit=1000); BSDs count at most 200 a
///   second (icmplim), answering the first 200 of each second and dropping the rest. Its output is
///   a verdict and the host's estimated answer rate.
/// - PathSaturationDetector, per path: the answer ratio across many hosts falls when the send rate
///   passes a threshold (a full connection-tracking table in front of the targets) and recovers
///   when the rate drops. Its output is a verdict and the highest send rate the path carried.
///
/// Neither may trigger on what is not rate-dependent: a host that is down (no answers), independent
/// random loss at a constant rate, a host that answers everything.
///
/// ## Host verdict
/// The first `burst_answers` error answers of a host are its burst and are not measured. From the
/// next one on (the steady phase) the detector keeps the count, sum and sum of squares of the gaps
/// between error answers, and the probes sent meanwhile. A host is Limited when
///   1. it gave at least `min_steady_answers` steady answers (a down host never gets here),
///   2. at most `max_answer_ratio` of the probes sent to it in the steady phase were answered
///      (5 % or 30 % random loss answers 95 % / 70 %: never Limited), and
///   3. the gaps are not those of independent loss. Independent loss at a constant send interval
///      gives geometrically distributed gaps, whose coefficient of variation is sqrt(loss) < 1.
///      A token-bucket limiter (Linux) answers at a regular pace: CV <= `regular_cv`. A per-second
///      counter (BSD) answers in bunches separated by the rest of the second: CV >= `clustered_cv`.
/// The estimated answer rate is 1 / mean gap for a regular pace; for bunches it counts the last
/// bunch's silence as long as the longest seen, so a counter of N a second reads ~N/s.
///
/// ## Path verdict
/// Time is cut into bins of `bin_width`; each closed bin with at least `min_bin_sends` probes keeps
/// (send rate, answer ratio) in a ring of the last kMaxBins bins. On each bin close the bins are
/// sorted by send rate and split into a lower and an upper set (each at least `min_bins_per_side`).
/// A split qualifies when the upper set's mean rate is >= `min_rate_step` times the lower set's
/// and its answer ratio is <= (1 - `min_ratio_drop`) of the lower set's; of those, the one that
/// best separates the bins' ratios (largest between-sets sum of squares, a change-point threshold:
/// a saturating path's ratio falls gradually, and the largest relative fall would put the threshold
/// too high) sets `carried_rate()`, the highest rate of its lower set: the path FallsAboveRate. At
/// a constant rate no split qualifies, whatever the loss; loss that does not depend on the rate
/// gives the same ratio on both sides. It is Confirmed when, after the first bin of the upper set,
/// a later bin of the lower set answered above the midpoint of the two ratios (it recovered when
/// the rate dropped).
///
/// ## Cost and contracts
/// Both detectors are plain values owned by one thread, not thread-safe. Per event: no allocation,
/// no lock, no virtual call; the host table is allocated once (construction), fixed-size per host,
/// open addressing over at most kProbeLength slots; when those are full the least recently active
/// host is evicted (counted). The path split is evaluated once per closed bin, O(kMaxBins^2).
///
/// ## How the engine feeds it (scanner/src/engine/answer_feed.hpp)
/// The receive thread owns both detectors. `Receiver` already classifies each reply into a Verdict
/// (target, port, reason); the reason maps to ReplyKind (port-unreachable and other ICMP errors ->
/// IcmpError, RST -> Rst, SYN-ACK / UDP data -> Positive), and it calls on_reply with the capture
/// time. Sends happen on the transmit threads: each Transmitter publishes, once per batch, records
/// (host, count, batch time) into its own SPSC ring, which the receive thread drains between two
/// capture dispatches into on_sent (per host and per path). Per-host pacing then reads the
/// estimate: the transmitter's group loop keeps, for hosts the receive thread marks Limited (a
/// small published table of host -> answers per second), a per-host token bucket at that rate
/// inside the global one, so that host's still unanswered ports are re-probed no faster than it
/// answers, until answered or out of tries, while other hosts keep the global rate. A path that
/// FallsAboveRate lowers the global rate toward `carried_rate()` (AIMD) and re-probes what was
/// lost.
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>

namespace synscan::rate {

using Nanoseconds = std::chrono::nanoseconds;

enum class ReplyKind : std::uint8_t {
  IcmpError,  ///< ICMP destination unreachable (port, host, admin...): kernels rate-limit these
  Rst,        ///< TCP RST: rate-limited by BSDs (icmplim) and by firewalls
  Positive,   ///< SYN-ACK, UDP data: answers a probe, not counted as a limited answer
};

enum class HostPace : std::uint8_t {
  Unknown,    ///< not tracked, or fewer steady answers than the verdict needs
  Unlimited,  ///< enough answers, and they are not held to a pace of their own
  Limited,    ///< answers at a pace of their own while probes wait: see answer_rate()
};

struct HostPaceConfig {
  std::uint32_t burst_answers = 6;       ///< Linux icmp burst; not measured
  std::uint32_t min_steady_answers = 4;  ///< before any verdict
  double max_answer_ratio = 0.5;         ///< steady answers / probes sent meanwhile
  double regular_cv = 0.4;               ///< gaps this regular = a limiter's pace
  double clustered_cv = 2.0;             ///< gaps this bunched = a per-second counter
};

struct HostPaceReport {
  HostPace pace = HostPace::Unknown;
  double answers_per_second = 0.0;  ///< estimate when Limited, else 0
  std::uint32_t probes_sent = 0;
  std::uint32_t error_answers = 0;
};

class HostPaceDetector {
 public:
  /// `capacity` hosts tracked at once (rounded up to a power of two, at least kProbeLength).
  explicit HostPaceDetector(std::uint32_t capacity, HostPaceConfig config = {});
  ~HostPaceDetector();
  HostPaceDetector(HostPaceDetector&&) noexcept;
  HostPaceDetector& operator=(HostPaceDetector&&) noexcept;

  /// `count` probes sent to `host` (IPv4 in host byte order, or any 32-bit host id) at `now`.
  void on_sent(std::uint32_t host, Nanoseconds now, std::uint32_t count = 1) noexcept;
  /// One reply of `kind` from `host` received at `now`. True when the host has enough steady
  /// answers that report() may say Limited (so a caller need not ask before).
  bool on_reply(std::uint32_t host, ReplyKind kind, Nanoseconds now) noexcept;

  [[nodiscard]] HostPaceReport report(std::uint32_t host) const noexcept;
  /// Hosts dropped from the table to make room for others (their evidence is lost).
  [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_; }

  static constexpr std::uint32_t kProbeLength = 8;

 private:
  struct Host;
  Host* find(std::uint32_t host) const noexcept;
  Host& find_or_insert(std::uint32_t host, Nanoseconds now) noexcept;

  HostPaceConfig config_;
  std::uint32_t mask_;
  std::unique_ptr<Host[]> hosts_;
  std::uint64_t evictions_ = 0;
};

enum class PathVerdict : std::uint8_t {
  None,            ///< no rate-dependent loss seen
  FallsAboveRate,  ///< answer ratio lower above carried_rate()
  Confirmed,       ///< ... and it recovered when the rate dropped again
};

struct PathSaturationConfig {
  Nanoseconds bin_width = std::chrono::milliseconds(250);
  std::uint32_t min_bin_sends = 100;  ///< smaller bins are too noisy to compare
  std::uint32_t min_bins_per_side = 3;
  double min_rate_step = 1.25;  ///< upper mean rate / lower mean rate
  double min_ratio_drop = 0.2;  ///< relative fall of the answer ratio
};

struct PathReport {
  PathVerdict verdict = PathVerdict::None;
  double carried_rate = 0.0;  ///< highest send rate (probes/s) at the lower ratio
  double ratio_below = 0.0;   ///< answer ratio at or below carried_rate
  double ratio_above = 0.0;   ///< answer ratio above it
};

class PathSaturationDetector {
 public:
  explicit PathSaturationDetector(Nanoseconds start, PathSaturationConfig config = {}) noexcept;

  void on_sent(Nanoseconds now, std::uint32_t count = 1) noexcept;
  void on_reply(Nanoseconds now, std::uint32_t count = 1) noexcept;
  /// Closes the bins that ended before `now` (call when nothing was sent or received for a while).
  void advance(Nanoseconds now) noexcept;

  [[nodiscard]] const PathReport& report() const noexcept { return report_; }

  static constexpr std::uint32_t kMaxBins = 64;

  struct Bin {
    std::int64_t start_ns = 0;
    std::uint32_t sends = 0;
    std::uint32_t answers = 0;
  };

 private:
  void close_bin() noexcept;
  void evaluate() noexcept;

  PathSaturationConfig config_;
  Bin open_{};
  std::array<Bin, kMaxBins> bins_{};
  std::uint32_t bin_count_ = 0;  ///< valid bins in the ring, <= kMaxBins
  std::uint32_t next_bin_ = 0;   ///< ring write position
  PathReport report_{};
};

}  // namespace synscan::rate
