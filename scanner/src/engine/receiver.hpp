#pragma once
// The receive stage, on its own thread: frames from the link's FrameSource, parsed, classified by
// the probe kinds, located in the scan window and finalized there (first answer wins). No
// allocation and no lock per frame; every outcome is a counter.
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>

#include "engine/answer_feed.hpp"
#include "engine/resources.hpp"
#include "engine/shared.hpp"
#include "rate/path_rate.hpp"

namespace synscan::scanner::engine {

class Receiver {
 public:
  /// Feeds the answer detectors (engine/answer_feed.hpp) when the transmitters log their sends,
  /// and then also runs the path controller (rate/path_rate.hpp) when --rate is a number.
  Receiver(const ScanPlan& plan, Resources& resources, Shared& shared);
  /// Receives until `stop` (the caller also wakes the source).
  void run(const std::stop_token& stop);
  /// One captured frame (the hot path).
  void handle_frame(std::span<const std::byte> frame) noexcept;

 private:
  static void on_frame(void* context, std::span<const std::byte> frame) noexcept {
    static_cast<Receiver*>(context)->handle_frame(frame);
  }
  void publish_drops() noexcept;
  void poll_path() noexcept;
  void publish_path() noexcept;
  bool answer_arp(std::span<const std::byte> frame) noexcept;

  const ScanPlan& plan_;
  Resources& resources_;
  Shared& shared_;
  std::unique_ptr<AnswerFeed> feed_;  ///< null when shared.send_logs is empty
  /// Adapts the send rate to a path that drops new flows (Shared::path); empty when not adapting.
  std::optional<rate::PathRateController> path_;
  std::uint64_t first_answers_ = 0;  ///< answers to probes sent once (final when they arrived)
  rate::Nanoseconds last_path_poll_{0};
  SendCounters arp_counters_;
};

}  // namespace synscan::scanner::engine
