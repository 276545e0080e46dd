#pragma once
// The transmit stage: one per transmit thread. Thread t owns groups t, t + n, t + 2n, ... and
// (the slot count being a multiple of n) their slots; the threads share nothing on the hot path
// but the state table's disjoint slots.
//
// A group's life: open its slot, send pass 0, wait rtt_timeout after the pass's last send,
// re-send only still-pending probes (pass 1..retries), wait `wait_seconds`, then seal the slot
// (what is still pending reads as no-response) and hand the group to the collector. A group whose
// every probe has its answer is handed over as soon as its sending pass ends.
//
// Per-host pacing (issue 13; off with --fixed-rate): when a group's last pass ends, each host that
// answered some probes with its own errors (RST, port unreachable) but left at least
// kMinPacedPending probes unanswered may be rate-limiting its answers. Its unanswered probes are
// then re-sent on their own clock (a PacedHost), inside the global rate: first at kProbeRate after
// kProbeDelay (a limiter has refilled by then, a firewall's silence has not changed), then, once
// the receive thread publishes the host as limited (PaceBoard), at kPaceShare of its answer rate.
// Sends before the rate is known are not counted against a probe's tries (they were sent faster
// than the host answers); a paced host ends when every probe is answered, when each has had
// retries + 1 tries at the host's pace, or after an idle spell without a new answer (not limited
// after all, or gone); its group is handed over only then.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <stop_token>
#include <vector>

#include "engine/pace_board.hpp"
#include "engine/resources.hpp"
#include "engine/shared.hpp"
#include "rate/token_bucket.hpp"
#include "scanner/resume.hpp"

namespace synscan::scanner::engine {

class Transmitter {
 public:
  Transmitter(const ScanPlan& plan, Resources& resources, Shared& shared, unsigned thread_index,
              const std::atomic<int>& interrupts);
  /// Sends every group of this thread (or until `stop`), then hands over what is in flight.
  void run(const std::stop_token& stop);

 private:
  using Nanoseconds = rate::Nanoseconds;
  enum class Phase : std::uint8_t { kSending, kWaiting, kFinalWait };
  static constexpr unsigned kLookahead = 32;  // a power of two
  static constexpr unsigned kWalkChunk = 16;  // entries the walk computes at once (<= kLookahead / 2)
  static constexpr std::size_t kMaxFrame = 1536;
  static constexpr unsigned kMaxExtraPasses = 3;  // re-probes after losses to the path, per group
  struct ActiveGroup {
    GroupSlot at;
    ScanOrder::GroupWalk walk;
    unsigned pass;
    Phase phase;
    Nanoseconds deadline;
    std::uint64_t shard_entries;
    bool restored;  // resumed from a saved state: some probes may have used their tries already
    // The group's host addresses by local host index, looked up once when the group opens: the
    // host permutation and the target list's binary search are then not paid per probe.
    std::vector<std::uint32_t> addresses;
    // The walk runs kLookahead - kWalkChunk to kLookahead entries ahead of the sends (computed
    // kWalkChunk at a time), and each upcoming entry's state-table cell is prefetched when it is
    // computed, so mark_sent finds it in cache.
    std::array<std::uint64_t, kLookahead> ahead{};
    unsigned ahead_head = 0;
    unsigned ahead_count = 0;
    // Re-probing after losses to the path (Shared::path): when the group was opened, how many
    // passes it was given beyond --retries, and when the last of them started.
    Nanoseconds opened_ns{0};
    unsigned extra_passes = 0;
    Nanoseconds covered_lossy_ns{0};
    unsigned paced_hosts = 0;  // its hosts still re-probed on their own clock: not handed over yet
    /// The next entry of the current pass; false when the pass is over.
    bool next_entry(const ScanWindow& window, std::uint64_t& entry) noexcept;
  };
  struct BatchCounts {
    std::uint64_t first_pass = 0;
    std::uint64_t retries = 0;
    std::uint64_t reprobes = 0;  ///< of the retries: extra passes after losses to the path
  };
  using Groups = std::deque<ActiveGroup>;
  // A host of a group re-probed at its own pace (see the file comment).
  struct PacedHost {
    GroupSlot at;
    std::uint32_t address;
    std::vector<std::uint32_t> entries;  // its probes still pending when pacing began
    std::vector<std::uint8_t> tries;     // paced sends per entry
    std::size_t cursor = 0;
    std::size_t finals = 0;              // entries final at the last look
    Nanoseconds next_send{};
    Nanoseconds last_progress{};         // last new answer (or the start)
    Nanoseconds exhausted_at{};          // every entry out of tries (0 = not yet)
    Nanoseconds last_look{};             // its entries were last looked at
    double rate = 0.0;                   // paced sends per second
    bool limited = false;                // rate from the PaceBoard; only then tries count
    bool answered = false;               // a probe was answered since pacing began
    std::uint32_t next_source = 0;       // -S range: the next paced send's source (index)
  };

  bool open_group();
  void restore_group(GroupSlot at, const SavedGroup& saved);
  [[nodiscard]] Nanoseconds advance_groups(Nanoseconds now);
  [[nodiscard]] Groups::iterator find_sending();
  void send_batch(std::uint32_t budget);
  std::uint32_t fill_batch(std::uint32_t budget, Nanoseconds now, BatchCounts& counts);
  bool claim(ActiveGroup& group, std::uint64_t entry, Nanoseconds now, BatchCounts& counts);
  std::uint32_t build(std::uint32_t target, std::uint32_t probe, std::byte* out) const noexcept;
  void end_pass(ActiveGroup& group);
  [[nodiscard]] bool reprobe_after_loss(ActiveGroup& group, Nanoseconds now);
  void follow_path_rate();
  void start_pacing(ActiveGroup& group, Nanoseconds now);
  bool advance_paced(Nanoseconds now, Nanoseconds& wake);
  bool paced_host_done(PacedHost& host, Nanoseconds now);
  void send_paced(const std::stop_token& stop, Nanoseconds now);
  bool next_paced_entry(PacedHost& host, std::uint64_t& entry);
  void end_paced_host(const PacedHost& host);
  void log_sends(Nanoseconds now, std::uint32_t count) noexcept;
  void hand_over(const ActiveGroup& group, bool interrupted);
  void finish_interrupted();

  const ScanPlan& plan_;
  Resources& resources_;
  Shared& shared_;
  const std::atomic<int>& interrupts_;
  const unsigned thread_count_;
  TransmitCounters& counters_;
  FrameSender& sender_;
  const std::uint64_t group_count_;
  const std::uint64_t max_entries_per_group_;
  const std::uint32_t probes_per_host_;
  const Nanoseconds final_wait_;
  std::uint64_t next_group_;
  Groups active_;
  Groups::iterator sending_;
  std::vector<std::vector<std::uint32_t>> spare_addresses_;
  std::vector<PacedHost> paced_;  // empty with --fixed-rate
  const PaceBoard& board_;
  rate::Pacer pacer_;
  double paced_rate_;  ///< the rate (all threads) pacer_ was last set to; Shared::path may lower it
  // Frames are packed one after another (64-byte aligned) so a batch of 58-byte SYNs spans
  // 16 KiB, not max_batch * kMaxFrame: the kernel's copy and our writes stay in L1/L2.
  std::vector<std::byte> frame_memory_;
  std::vector<FrameRef> batch_;
  std::vector<std::uint32_t> batch_targets_;  ///< batch_[i]'s target, for the SendLog
  SendLog* send_log_;                         ///< null when nothing feeds the answer detectors
  SendCounters send_counters_;
};

}  // namespace synscan::scanner::engine
