#include "scanner/rtt_estimator.hpp"

#include <algorithm>
#include <cmath>

namespace synscan::scanner {

RttEstimator::RttEstimator(Nanoseconds initial, Nanoseconds minimum, Nanoseconds maximum) noexcept
    : minimum_(minimum), maximum_(std::max(minimum, maximum)), timeout_ns_(initial.count()) {}

void RttEstimator::record_send(std::uint64_t key, Nanoseconds now) noexcept {
  Slot& slot = slots_[slot_of(key)];
  // Unpublish, write the time, publish: a reader that sees `key` after the time was written.
  slot.key.store(0, std::memory_order_relaxed);
  slot.sent_ns.store(now.count(), std::memory_order_relaxed);
  slot.key.store(key, std::memory_order_release);
}

void RttEstimator::forget(std::uint64_t key) noexcept {
  Slot& slot = slots_[slot_of(key)];
  // By the retry most slots hold a later key: a plain load then, no locked op taking the cache
  // line from the other threads that write beside it. Only this key's own transmitter publishes
  // it, so a slot that does not hold it now cannot come to hold it before this call returns.
  if (slot.key.load(std::memory_order_relaxed) != key) return;
  std::uint64_t expected = key;
  slot.key.compare_exchange_strong(expected, 0, std::memory_order_relaxed);
}

bool RttEstimator::on_answer(std::uint64_t key, Nanoseconds now) noexcept {
  Slot& slot = slots_[slot_of(key)];
  if (slot.key.load(std::memory_order_acquire) != key) return false;
  const std::int64_t sent = slot.sent_ns.load(std::memory_order_relaxed);
  std::uint64_t expected = key;
  // Taking the key back proves `sent` belonged to it (no re-publish happened in between).
  if (!slot.key.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return false;
  const std::int64_t rtt = now.count() - sent;
  if (rtt < 0) return false;
  add_sample(static_cast<double>(rtt));
  return true;
}

void RttEstimator::add_sample(double rtt_ns) noexcept {
  // RFC 6298 section 2: alpha 1/8, beta 1/4.
  if (!have_sample_) {
    srtt_ns_ = rtt_ns;
    rttvar_ns_ = rtt_ns / 2;
    have_sample_ = true;
  } else {
    rttvar_ns_ = 0.75 * rttvar_ns_ + 0.25 * std::fabs(srtt_ns_ - rtt_ns);
    srtt_ns_ = 0.875 * srtt_ns_ + 0.125 * rtt_ns;
  }
  const double timeout = std::clamp(srtt_ns_ + 4 * rttvar_ns_, static_cast<double>(minimum_.count()),
                                    static_cast<double>(maximum_.count()));
  timeout_ns_.store(static_cast<std::int64_t>(timeout), std::memory_order_relaxed);
  samples_taken_.store(samples_taken_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace synscan::scanner
