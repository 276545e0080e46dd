#pragma once
// What the engine's threads share while a scan runs, and who writes and reads each part.
//
// Threads (docs/ARCHITECTURE.md): n transmit threads (Transmitter), one receive thread
// (Receiver), and the calling thread, which collects results, writes outputs and the progress
// line (Collector, Progress). Setup (Resources) is done before any of them starts and is
// read-only afterwards, except the ScanWindow, whose per-call ownership is in window.hpp.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/pace_board.hpp"
#include "engine/send_log.hpp"
#include "scanner/rtt_estimator.hpp"
#include "scanner/scan_plan.hpp"

namespace synscan::scanner::engine {

/// Written by one transmit thread (its own cache line; published once per batch, relaxed).
/// Read by the progress line and the closing summary.
struct alignas(64) TransmitCounters {
  std::atomic<std::uint64_t> first_pass_probes{0};  ///< probes sent once (or skipped on resume)
  std::atomic<std::uint64_t> retry_probes{0};
  std::atomic<std::uint64_t> first_tries{0};  ///< first sends only (the path controller's input)
  std::atomic<std::uint64_t> reprobes{0};     ///< sends of extra passes after losses to the path
  std::atomic<std::uint64_t> frames_sent{0};
  std::atomic<std::uint64_t> frame_bytes{0};
  std::atomic<std::uint64_t> send_retries{0};
  std::atomic<std::uint64_t> send_errors{0};
};

/// Written by the receive thread only (relaxed load + store, no locked op). Read by the progress
/// line and the closing summary.
struct alignas(64) ReceiveCounters {
  std::atomic<std::uint64_t> frames_seen{0};
  std::atomic<std::uint64_t> parse_rejects{0};
  std::atomic<std::uint64_t> not_ours{0};      ///< cookie/port validation failed
  std::atomic<std::uint64_t> not_a_target{0};  ///< valid cookie but address/port not scanned
  std::atomic<std::uint64_t> late{0};          ///< group already sealed or gone
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> results{0};
  std::atomic<std::uint64_t> open_found{0};
  std::atomic<std::uint64_t> kernel_drops{0};
  std::atomic<std::uint64_t> interface_drops{0};
};

/// A group whose time is up (or that an interruption cut short), handed from its transmit thread
/// to the collector. The group's slot is sealed; the collector releases it.
struct DoneGroup {
  std::uint64_t group;
  bool interrupted;
};

/// Transmit threads push finished groups; the collector takes them all at once. The only lock of
/// the scan, taken once per group (never per probe).
class DoneQueue {
 public:
  explicit DoneQueue(unsigned transmitters) noexcept : transmitters_running_(transmitters) {}
  void push(const DoneGroup& done) {
    {
      std::lock_guard lock(mutex_);
      groups_.push_back(done);
    }
    ready_.notify_one();
  }
  /// A transmit thread has finished (after its last push).
  void transmitter_finished() {
    {
      std::lock_guard lock(mutex_);
      --transmitters_running_;
    }
    ready_.notify_one();
  }
  /// Collector: waits at most `timeout` for a group (or the end of sending), then takes every
  /// group queued. `finished` is true once every transmitter has finished and nothing is queued
  /// but what this call returns.
  std::deque<DoneGroup> take(std::chrono::milliseconds timeout, bool& finished) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, timeout, [&] { return !groups_.empty() || transmitters_running_ == 0; });
    std::deque<DoneGroup> taken;
    taken.swap(groups_);
    finished = transmitters_running_ == 0;
    return taken;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<DoneGroup> groups_;
  unsigned transmitters_running_;
};

/// A probe's identity across the scan, for RTT samples: never 0. The transmitter records a
/// sample's send under it, the receiver finds the sample by it.
constexpr std::uint64_t probe_key(std::uint64_t group, std::uint64_t entry,
                                  std::uint64_t entries_per_group) noexcept {
  return group * entries_per_group + entry + 1;
}

/// The path controller's decisions (issue 13). The receive thread owns the rate::PathRateController
/// (engine/receiver.cpp) and is the only writer; transmitters pace to `rate` and re-probe groups
/// that sent before `lossy_until_ns` (engine/transmitter.cpp); the progress line and the closing
/// summary read the rest. All relaxed: each value stands on its own.
struct alignas(64) PathPublished {
  std::atomic<double> rate{0.0};                ///< pps over all transmit threads; 0 = --rate
  std::atomic<std::int64_t> lossy_until_ns{0};  ///< monotonic ns; 0 = nothing lost to the path
  std::atomic<std::uint8_t> state{0};           ///< rate::PathState
  std::atomic<bool> confirmed{false};           ///< a rate-dependent loss was confirmed
  std::atomic<std::uint32_t> backoffs{0};
  std::atomic<std::uint32_t> false_alarms{0};
  std::atomic<double> fell_to{0.0};     ///< answer ratio / reference at the first back-off
  std::atomic<double> fell_above{0.0};  ///< send rate (pps) it fell at
  std::atomic<double> lowest{0.0};      ///< lowest rate set (pps)
};

struct Shared {
  /// `send_log_words`: each transmit thread's SendLog; 0 = no logs (nothing feeds the detectors).
  Shared(unsigned transmit_threads, const ScanPlan& plan, std::size_t send_log_words = 0)
      : transmit(std::make_unique<TransmitCounters[]>(transmit_threads)),
        transmit_threads(transmit_threads),
        done(transmit_threads),
        rtt(seconds(plan.initial_rtt_timeout), seconds(plan.min_rtt_timeout),
            seconds(plan.max_rtt_timeout)) {
    if (send_log_words == 0) return;
    for (unsigned thread = 0; thread < transmit_threads; ++thread) {
      send_logs.push_back(std::make_unique<SendLog>(send_log_words));
    }
  }
  static RttEstimator::Nanoseconds seconds(double value) noexcept {
    return std::chrono::duration_cast<RttEstimator::Nanoseconds>(std::chrono::duration<double>(value));
  }
  /// Sum of one transmit counter over the threads.
  [[nodiscard]] std::uint64_t transmitted(std::atomic<std::uint64_t> TransmitCounters::*counter) const noexcept {
    std::uint64_t total = 0;
    for (unsigned thread = 0; thread < transmit_threads; ++thread) {
      total += (transmit[thread].*counter).load(std::memory_order_relaxed);
    }
    return total;
  }

  std::unique_ptr<TransmitCounters[]> transmit;  ///< [thread]: see TransmitCounters
  unsigned transmit_threads;
  ReceiveCounters receive;                       ///< receive thread writes, others read
  DoneQueue done;                                ///< transmitters push, collector takes
  /// Transmitters record first-pass send times, the receiver records answers; transmitters read
  /// the timeout. Lock-free (rtt_estimator.hpp).
  RttEstimator rtt;
  /// [thread]: transmit thread t appends its batches, the receive thread drains them into its
  /// AnswerFeed (engine/answer_feed.hpp). Empty when nothing is fed.
  std::vector<std::unique_ptr<SendLog>> send_logs;
  /// The path controller's rate and findings: see PathPublished.
  PathPublished path;
  /// Hosts found rate-limited: the receive thread publishes, transmitters pace by it, the
  /// progress line and the closing summary report it (engine/pace_board.hpp).
  PaceBoard pace_board;
};

}  // namespace synscan::scanner::engine
