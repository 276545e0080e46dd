#pragma once
// The receive stage, on its own thread: frames from the link's FrameSource, parsed, classified by
// the probe kinds, located in the scan window and finalized there (first answer wins). No
// allocation and no lock per frame; every outcome is a counter.
#include <cstddef>
#include <memory>
#include <span>
#include <stop_token>

#include "engine/answer_feed.hpp"
#include "engine/resources.hpp"
#include "engine/shared.hpp"

namespace synscan::scanner::engine {

class Receiver {
 public:
  /// Feeds the answer detectors (engine/answer_feed.hpp) when the transmitters log their sends.
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
  bool answer_arp(std::span<const std::byte> frame) noexcept;

  const ScanPlan& plan_;
  Resources& resources_;
  Shared& shared_;
  std::unique_ptr<AnswerFeed> feed_;  ///< null when shared.send_logs is empty
  SendCounters arp_counters_;
};

}  // namespace synscan::scanner::engine
