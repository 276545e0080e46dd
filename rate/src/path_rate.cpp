#include "rate/path_rate.hpp"

#include <algorithm>
#include <limits>

namespace synscan::rate {
namespace {

double seconds_between(Nanoseconds from, Nanoseconds to) noexcept {
  return static_cast<double>((to - from).count()) / 1e9;
}

std::uint32_t clamp_count(std::uint64_t count) noexcept {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(count, std::numeric_limits<std::uint32_t>::max()));
}

}  // namespace

PathRateController::PathRateController(double ceiling, Nanoseconds start, PathRateConfig config) noexcept
    : config_(config),
      ceiling_(ceiling),
      rate_(ceiling),
      bin_start_(start),
      detector_(start, PathSaturationConfig{config.bin_width}) {}

bool PathRateController::update(Nanoseconds now, std::uint64_t first_sends, std::uint64_t first_answers,
                                std::uint64_t frames) noexcept {
  rate_changed_ = false;
  if (first_sends < last_first_sends_ || first_answers < last_first_answers_ || frames < last_frames_) {
    return false;  // totals never go back; ignore a caller's mistake rather than wrap
  }
  detector_.on_sent(now, clamp_count(first_sends - poll_first_sends_));
  detector_.on_reply(now, clamp_count(first_answers - poll_first_answers_));
  poll_first_sends_ = first_sends;
  poll_first_answers_ = first_answers;
  const PathReport& found = detector_.report();
  if (found.verdict != PathVerdict::None &&
      (found.verdict == PathVerdict::Confirmed || detected_.verdict != PathVerdict::Confirmed)) {
    detected_ = found;
  }
  if (now - bin_start_ < config_.bin_width) return false;
  const Window bin{seconds_between(bin_start_, now), static_cast<double>(first_sends - last_first_sends_),
                   static_cast<double>(first_answers - last_first_answers_),
                   static_cast<double>(frames - last_frames_), 1};
  last_first_sends_ = first_sends;
  last_first_answers_ = first_answers;
  last_frames_ = frames;
  bin_start_ = now;
  close_bin(bin, now);
  return rate_changed_;
}

// Bins merge into a window until it holds enough expected answers to be judged.
void PathRateController::close_bin(const Window& bin, Nanoseconds end) noexcept {
  window_.seconds += bin.seconds;
  window_.first_sends += bin.first_sends;
  window_.first_answers += bin.first_answers;
  window_.frames += bin.frames;
  ++window_.bins;
  if (reference_ <= 0.0) {
    // The first window with enough answers to mean something sets the reference.
    if (window_.first_answers * 4 >= config_.min_expected_answers) {
      reference_ = window_.first_answers / window_.first_sends;
      window_ = {};
    }
  } else if (reference_ * window_.first_sends >= config_.min_expected_answers) {
    judge(window_, end);
    window_ = {};
  }
  if (window_.bins >= config_.max_window_bins) window_ = {};  // too few answers to judge
  // A false alarm needs judged windows that stayed low: with none (the first pass is over, the
  // rate too low to judge) nothing is learnt, and the rate stays where it is.
  if (state_ != PathState::kFull && low_since_.count() >= 0 && end - low_since_ >= config_.confirm_time &&
      low_windows_ >= config_.lossy_windows_to_act + config_.recovered_windows) {
    false_alarm(last_ratio_);
  }
}

// One judged window through the state machine (see the header).
void PathRateController::judge(const Window& window, Nanoseconds end) noexcept {
  const double ratio = window.first_answers / window.first_sends;
  const double relative = ratio / reference_;
  const bool healthy = relative >= 1.0 - config_.recovered_fall;
  carried_[carried_next_] = {window.seconds, window.frames * std::min(relative, 1.0)};
  carried_next_ = (carried_next_ + 1) % kMaxCarried;
  carried_count_ = std::min(carried_count_ + 1, kMaxCarried);
  last_ratio_ = ratio;
  healthy_run_ = healthy ? healthy_run_ + 1 : 0;
  low_windows_ = healthy ? 0 : low_windows_ + 1;
  switch (state_) {
    case PathState::kFull:
      judge_at_ceiling(relative, window, healthy, ratio, end);
      return;
    case PathState::kConfirming:
      if (!healthy) {
        // Still losing: the table may free nothing for up to an entry lifetime, so keep lowering
        // toward what it carries (the floor bounds it, confirm_time ends a false alarm).
        lossy_until_ = end;
        if (++windows_since_backoff_ > config_.recovered_windows) back_off(end);
      }
      if (healthy) low_since_ = Nanoseconds{-1};
      if (healthy_run_ >= config_.recovered_windows) {
        state_ = PathState::kLimited;
        limit_.confirmed = true;
        low_since_ = Nanoseconds{-1};
        windows_since_backoff_ = 0;
      }
      return;
    case PathState::kLimited:
      limited_window(window, healthy, ratio, end);
      return;
  }
}

void PathRateController::judge_at_ceiling(double relative, const Window& window, bool healthy,
                                          double ratio, Nanoseconds end) noexcept {
  lossy_run_ = relative < 1.0 - config_.lossy_fall ? lossy_run_ + 1 : 0;
  if (lossy_run_ >= config_.lossy_windows_to_act) {
    limit_.fell_to = relative;
    limit_.fell_above = window.frames / window.seconds;
    back_off(end);
    state_ = PathState::kConfirming;
    low_since_ = end;
    lossy_run_ = 0;
    healthy_run_ = 0;
  } else if (healthy) {
    follow_reference(ratio);
  }
}

// AIMD while the limit is confirmed: a loss lowers the rate to what the path carried (at most once
// every recovered_windows + 1 windows, so the path has time to show the effect), a healthy window
// adds a step in proportion to the rate (paths carry from hundreds to millions of flows a second).
void PathRateController::limited_window(const Window& window, bool healthy, double ratio,
                                        Nanoseconds end) noexcept {
  ++windows_since_backoff_;
  if (healthy) {
    low_since_ = Nanoseconds{-1};
    if (ratio > reference_) follow_reference(ratio);
    // Only a rate the scan really sent at was tested: when it sends less (a full window, the end
    // of the first pass), a higher rate would be a guess, not a probe of the path.
    if (window.frames >= config_.tested_fraction * rate_ * window.seconds) {
      const double step = std::max(rate_ * config_.increase_per_second, ceiling_ * config_.min_increase_per_second);
      set_rate(rate_ + step * window.seconds);
    }
    if (rate_ >= ceiling_) state_ = PathState::kFull;
    return;
  }
  lossy_until_ = end;
  if (low_since_.count() < 0) low_since_ = end;
  if (windows_since_backoff_ > config_.recovered_windows) back_off(end);
}

// What the path carried over the last windows: frames sent x ratio / reference, per second.
double PathRateController::carried_rate() const noexcept {
  const std::uint32_t count = std::min(carried_count_, config_.carried_windows);
  double seconds = 0.0, carried = 0.0;
  for (std::uint32_t i = 1; i <= count; ++i) {
    const Carried& window = carried_[(carried_next_ + kMaxCarried - i) % kMaxCarried];
    seconds += window.seconds;
    carried += window.frames_carried;
  }
  return seconds > 0.0 ? carried / seconds : 0.0;
}

void PathRateController::back_off(Nanoseconds end) noexcept {
  set_rate(std::min(rate_, carried_rate() * config_.backoff_margin));
  if (limit_.lowest <= 0.0 || rate_ < limit_.lowest) limit_.lowest = rate_;
  lossy_until_ = end;
  windows_since_backoff_ = 0;
  ++limit_.backoffs;
}

// The ratio stayed low whatever the rate: not the path's doing. Back to the ceiling, and the
// reference is the targets' ratio now (0: learn it again).
void PathRateController::false_alarm(double ratio) noexcept {
  set_rate(ceiling_);
  state_ = PathState::kFull;
  reference_ = ratio;
  lossy_run_ = 0;
  healthy_run_ = 0;
  low_since_ = Nanoseconds{-1};
  ++limit_.false_alarms;
}

// Rises are followed at once (half the way), falls slowly: a slow change of the targets' mix moves
// the reference, a sudden loss does not.
void PathRateController::follow_reference(double ratio) noexcept {
  const double gain = ratio > reference_ ? 0.5 : config_.reference_gain;
  reference_ += gain * (ratio - reference_);
}

void PathRateController::set_rate(double rate) noexcept {
  const double clamped = std::clamp(rate, ceiling_ * config_.floor_fraction, ceiling_);
  if (clamped == rate_) return;
  rate_ = clamped;
  rate_changed_ = true;
}

}  // namespace synscan::rate
