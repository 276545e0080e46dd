// PathRateController over synthetic paths, polled every 10 ms like the receive thread: a
// connection-tracking table that drops new flows while full (must adapt), random loss at a
// constant rate and a mostly dark network (must never act), a fall of the targets' own answer
// ratio (backs off once, finds that lowering the rate does not help, returns to the ceiling).
#include "rate/path_rate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>

namespace synscan::rate {
namespace {

using std::chrono::milliseconds;

constexpr Nanoseconds kStep = milliseconds(10);

// A table of `entries` flows, each living `lifetime`; a new flow is dropped while it is full.
// entries 0 = no device.
class Table {
 public:
  Table(std::uint64_t entries, Nanoseconds lifetime) : entries_(entries), lifetime_(lifetime) {}
  std::uint64_t admit(Nanoseconds now, std::uint64_t flows) {
    if (entries_ == 0) return flows;
    while (!live_.empty() && live_.front().first <= now) {
      used_ -= live_.front().second;
      live_.pop_front();
    }
    const std::uint64_t admitted = std::min(flows, entries_ - used_);
    if (admitted) live_.emplace_back(now + lifetime_, admitted);
    used_ += admitted;
    return admitted;
  }

 private:
  std::uint64_t entries_;
  Nanoseconds lifetime_;
  std::uint64_t used_ = 0;
  std::deque<std::pair<Nanoseconds, std::uint64_t>> live_;
};

struct Path {
  double answer_ratio = 0.8;  ///< of the targets, when nothing is lost
  double loss = 0.0;          ///< random, independent of the rate
  std::uint64_t table_entries = 0;
  Nanoseconds table_lifetime = milliseconds(1000);
  /// From this time on the targets answer `later_ratio` (a dark region): not rate-dependent.
  Nanoseconds ratio_change_at = Nanoseconds::max();
  double later_ratio = 0.0;
};

struct Outcome {
  double sent = 0, admitted = 0;                    ///< after `settle`
  double sent_after_settle_seconds = 0;
  double lowest_rate = 1e18, highest_rate = 0;
  std::uint32_t rate_changes = 0;
};

Outcome simulate(PathRateController& controller, const Path& path, Nanoseconds duration,
             Nanoseconds settle = milliseconds(3000), std::uint32_t seed = 1) {
  std::mt19937_64 random(seed);
  Table table(path.table_entries, path.table_lifetime);
  std::uint64_t sends = 0, answers = 0;
  double owed = 0;
  Outcome run;
  for (Nanoseconds now = kStep; now <= duration; now += kStep) {
    owed += controller.rate() * 0.01;
    const auto flows = static_cast<std::uint64_t>(owed);
    owed -= static_cast<double>(flows);
    const std::uint64_t admitted = table.admit(now, flows);
    const double ratio = (now >= path.ratio_change_at ? path.later_ratio : path.answer_ratio) * (1 - path.loss);
    std::binomial_distribution<std::uint64_t> answered(admitted, ratio);
    sends += flows;
    answers += answered(random);
    if (now >= settle) {
      run.sent += static_cast<double>(flows);
      run.admitted += static_cast<double>(admitted);
      run.sent_after_settle_seconds += 0.01;
      run.lowest_rate = std::min(run.lowest_rate, controller.rate());
      run.highest_rate = std::max(run.highest_rate, controller.rate());
    }
    if (controller.update(now, sends, answers, sends)) ++run.rate_changes;
  }
  return run;
}

TEST(PathRateController, AdaptsToAFullConnectionTrackingTable) {
  // 30,000 entries living 1 s: the path carries 30 kpps of new flows; the scan asks 50 kpps.
  PathRateController controller(50'000, Nanoseconds{0});
  Path path;
  path.table_entries = 30'000;
  const Outcome run = simulate(controller, path, milliseconds(30'000));
  const PathLimit& limit = controller.limit();
  EXPECT_TRUE(limit.confirmed);
  EXPECT_EQ(limit.false_alarms, 0u);
  EXPECT_NEAR(limit.fell_above, 50'000, 2'000);
  EXPECT_LT(limit.fell_to, 0.8);
  EXPECT_GT(controller.lossy_until(), Nanoseconds{0});
  // After the first seconds: the rate stays near what the path carries, never above the ceiling,
  // and almost every flow gets through (the upward probes of AIMD lose a little).
  EXPECT_LE(run.highest_rate, 50'000);
  EXPECT_GT(run.lowest_rate, 15'000);
  const double average_rate = run.sent / run.sent_after_settle_seconds;
  EXPECT_GT(average_rate, 0.75 * 30'000) << average_rate;
  EXPECT_LT(average_rate, 30'000 * 1.05) << average_rate;
  EXPECT_GT(run.admitted / run.sent, 0.97) << run.admitted / run.sent;
  EXPECT_NE(controller.state(), PathState::kFull);
}

TEST(PathRateController, AdaptsToASmallTableWithLongLivedEntries) {
  // A real device's entries live longer: 8,000 entries of 4 s carry 2 kpps of the 20 kpps asked.
  PathRateController controller(20'000, Nanoseconds{0});
  Path path;
  path.table_entries = 8'000;
  path.table_lifetime = milliseconds(4000);
  const Outcome run = simulate(controller, path, milliseconds(60'000), milliseconds(10'000));
  EXPECT_TRUE(controller.limit().confirmed);
  EXPECT_GT(run.admitted / run.sent, 0.9) << run.admitted / run.sent;
  EXPECT_GT(run.sent / run.sent_after_settle_seconds, 0.6 * 2'000);
  EXPECT_GE(run.lowest_rate, 20'000.0 / 64);
}

TEST(PathRateController, NeverActsOnRandomLossAtAConstantRate) {
  for (const double loss : {0.0, 0.02, 0.3, 0.7}) {
    for (const double rate : {2'000.0, 20'000.0, 50'000.0}) {
      PathRateController controller(rate, Nanoseconds{0});
      Path path;
      path.loss = loss;
      const Outcome run = simulate(controller, path, milliseconds(60'000), milliseconds(0),
                               static_cast<std::uint32_t>(rate + loss * 100));
      EXPECT_EQ(run.rate_changes, 0u) << "loss " << loss << " rate " << rate;
      EXPECT_EQ(controller.state(), PathState::kFull);
      EXPECT_EQ(controller.lossy_until(), Nanoseconds{0});
      EXPECT_EQ(controller.limit().backoffs, 0u);
    }
  }
}

TEST(PathRateController, NeverActsOnAMostlyDarkNetwork) {
  // 1 answer in 1000 probes: 12 answers a bin at 50 kpps, too few to judge, even when they stop.
  PathRateController controller(50'000, Nanoseconds{0});
  Path path;
  path.answer_ratio = 0.001;
  path.ratio_change_at = milliseconds(5000);
  path.later_ratio = 0.0;
  const Outcome run = simulate(controller, path, milliseconds(20'000), milliseconds(0));
  EXPECT_EQ(run.rate_changes, 0u);
  EXPECT_EQ(controller.limit().backoffs, 0u);
}

TEST(PathRateController, ReturnsToTheCeilingWhenTheTargetsAnswerLessWhateverTheRate) {
  // The scan reaches targets that answer less: the controller backs off, the ratio does not
  // recover at the lower rates, so it was not the path: back to the ceiling after confirm_time,
  // and it stays there.
  PathRateController controller(50'000, Nanoseconds{0});
  Path path;
  path.ratio_change_at = milliseconds(4000);
  path.later_ratio = 0.3;
  const Outcome run = simulate(controller, path, milliseconds(30'000), milliseconds(10'000));
  EXPECT_GE(controller.limit().backoffs, 1u);
  EXPECT_EQ(controller.limit().false_alarms, 1u);
  EXPECT_FALSE(controller.limit().confirmed);
  EXPECT_EQ(controller.state(), PathState::kFull);
  EXPECT_EQ(run.lowest_rate, 50'000);  // from 10 s on: the alarm lasted confirm_time (5 s)
  EXPECT_NEAR(controller.reference_ratio(), 0.3, 0.02);
}

TEST(PathRateController, RateStaysBetweenTheFloorAndTheCeiling) {
  // A table far too small for even the floor rate: the rate bottoms out at ceiling / 64.
  PathRateController controller(64'000, Nanoseconds{0});
  Path path;
  path.table_entries = 100;
  const Outcome run = simulate(controller, path, milliseconds(30'000), milliseconds(1000));
  EXPECT_GE(run.lowest_rate, 1'000);
  EXPECT_LE(run.highest_rate, 64'000);
  EXPECT_GE(controller.limit().backoffs, 1u);
}

// Drives the controller bin by bin: `sends` first tries a bin answered at `ratio`, `frames` sent.
void feed_bins(PathRateController& controller, Nanoseconds& now, std::uint64_t& sends, std::uint64_t& answers,
               std::uint64_t& frames, int bins, std::uint64_t first_per_bin, double ratio,
               std::uint64_t frames_per_bin) {
  for (int bin = 0; bin < bins; ++bin) {
    now += milliseconds(250);
    sends += first_per_bin;
    answers += static_cast<std::uint64_t>(static_cast<double>(first_per_bin) * ratio);
    frames += frames_per_bin;
    controller.update(now, sends, answers, frames);
  }
}

TEST(PathRateController, RaisesOnlyARateTheScanReallySentAt) {
  PathRateController controller(50'000, Nanoseconds{0});
  Nanoseconds now{0};
  std::uint64_t sends = 0, answers = 0, frames = 0;
  feed_bins(controller, now, sends, answers, frames, 4, 12'500, 0.8, 12'500);
  feed_bins(controller, now, sends, answers, frames, 2, 12'500, 0.3, 12'500);  // the path fills
  ASSERT_EQ(controller.state(), PathState::kConfirming);
  const double held = controller.rate();
  EXPECT_LT(held, 40'000);
  // Healthy again, but the scan sends at a third of the rate (its window is full): not raised.
  feed_bins(controller, now, sends, answers, frames, 20, 2'000, 0.8, 2'000);
  EXPECT_EQ(controller.state(), PathState::kLimited);
  EXPECT_EQ(controller.rate(), held);
  // Sending at the rate again: raised step by step.
  const auto at_rate = static_cast<std::uint64_t>(held / 4);
  feed_bins(controller, now, sends, answers, frames, 4, at_rate, 0.8, at_rate);
  EXPECT_GT(controller.rate(), held);
}

TEST(PathRateController, KeepsTheRateWhenNoWindowCanBeJudged) {
  // Backed off, then the first pass ends: only retries (frames, no first tries) for long after
  // confirm_time. Nothing was learnt: no false alarm, the rate stays low.
  PathRateController controller(50'000, Nanoseconds{0});
  Nanoseconds now{0};
  std::uint64_t sends = 0, answers = 0, frames = 0;
  feed_bins(controller, now, sends, answers, frames, 4, 12'500, 0.8, 12'500);
  feed_bins(controller, now, sends, answers, frames, 2, 12'500, 0.2, 12'500);
  ASSERT_EQ(controller.state(), PathState::kConfirming);
  const double held = controller.rate();
  feed_bins(controller, now, sends, answers, frames, 80, 0, 0.0, 5'000);
  EXPECT_EQ(controller.state(), PathState::kConfirming);
  EXPECT_EQ(controller.rate(), held);
  EXPECT_EQ(controller.limit().false_alarms, 0u);
}

TEST(PathRateController, FeedsTheSaturationDetectorTheSameFirstTries) {
  PathRateController controller(50'000, Nanoseconds{0});
  Path path;
  path.table_entries = 30'000;
  simulate(controller, path, milliseconds(30'000));
  // The AIMD's lower rates give the detector bins on both sides of the path's limit.
  EXPECT_NE(controller.detector().verdict, PathVerdict::None);
  EXPECT_GT(controller.detector().ratio_below, controller.detector().ratio_above);
}

}  // namespace
}  // namespace synscan::rate
