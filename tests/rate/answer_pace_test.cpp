// HostPaceDetector and PathSaturationDetector over synthetic reply timelines: the patterns of
// issue 13 must be recognised (with a usable rate estimate), and what does not depend on the send
// rate (a down host, independent loss, a host answering everything) must never trigger.
#include "rate/answer_pace.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace synscan::rate {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::uint32_t kHost = 0xC6120304;  // 198.18.3.4

// What a target does with one probe arriving at `time`: the reply's arrival time, or none.
using Responder = std::function<std::optional<Nanoseconds>(Nanoseconds time)>;

struct Event {
  Nanoseconds time;
  bool reply;
};

// Probes to one host every `interval` for `duration`, each answered (or not) by `responder` with
// an ICMP error; events fed to the detector in time order.
HostPaceReport run_host(HostPaceDetector& detector, Nanoseconds interval, Nanoseconds duration,
                        const Responder& responder, std::uint32_t host = kHost) {
  std::vector<Event> events;
  for (Nanoseconds t{0}; t < duration; t += interval) {
    events.push_back({t, false});
    if (const auto answer = responder(t)) events.push_back({*answer, true});
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.time < b.time; });
  for (const Event& event : events) {
    if (event.reply) {
      detector.on_reply(host, ReplyKind::IcmpError, event.time);
    } else {
      detector.on_sent(host, event.time);
    }
  }
  return detector.report(host);
}

constexpr Nanoseconds kRtt = milliseconds(1);

// Linux's per-peer ICMP limiter (inet_peer_xrlim_allow): a token bucket of `interval` per answer,
// holding at most 6 intervals, full for a new peer.
Responder linux_icmp_limiter(Nanoseconds interval, Nanoseconds jitter = Nanoseconds{0},
                             std::uint32_t seed = 1) {
  struct State {
    Nanoseconds tokens;
    Nanoseconds last{0};
    std::mt19937 random;
  };
  auto state = std::make_shared<State>(State{6 * interval, Nanoseconds{0}, std::mt19937(seed)});
  return [=](Nanoseconds time) -> std::optional<Nanoseconds> {
    state->tokens = std::min(6 * interval, state->tokens + (time - state->last));
    state->last = time;
    if (state->tokens < interval) return std::nullopt;
    state->tokens -= interval;
    std::uniform_int_distribution<std::int64_t> delay(0, jitter.count());
    return time + kRtt + Nanoseconds{delay(state->random)};
  };
}

// A BSD icmplim-like counter: at most `per_second` answers in each whole second.
Responder per_second_counter(std::uint32_t per_second) {
  auto state = std::make_shared<std::pair<std::int64_t, std::uint32_t>>(-1, 0);
  return [=](Nanoseconds time) -> std::optional<Nanoseconds> {
    const std::int64_t second = time.count() / 1'000'000'000;
    if (second != state->first) *state = {second, 0};
    if (state->second >= per_second) return std::nullopt;
    ++state->second;
    return time + kRtt;
  };
}

Responder independent_loss(double loss, std::uint32_t seed) {
  auto random = std::make_shared<std::mt19937>(seed);
  return [=](Nanoseconds time) -> std::optional<Nanoseconds> {
    if (std::bernoulli_distribution(loss)(*random)) return std::nullopt;
    return time + kRtt;
  };
}

TEST(HostPaceDetector, LinuxDefaultIcmpLimitReadsAboutOnePerSecond) {
  HostPaceDetector detector(1024);
  // 50 probes/s to the host for 12 s: 6 answers at once, then one a second.
  const auto report =
      run_host(detector, milliseconds(20), seconds(12), linux_icmp_limiter(seconds(1)));
  EXPECT_EQ(report.pace, HostPace::Limited);
  EXPECT_NEAR(report.answers_per_second, 1.0, 0.1);
}

TEST(HostPaceDetector, LinuxLimitWithReplyJitterStillReadsAboutOnePerSecond) {
  HostPaceDetector detector(1024);
  const auto report = run_host(detector, milliseconds(5), seconds(15),
                               linux_icmp_limiter(seconds(1), milliseconds(30), 7));
  EXPECT_EQ(report.pace, HostPace::Limited);
  EXPECT_NEAR(report.answers_per_second, 1.0, 0.1);
}

TEST(HostPaceDetector, LinuxLimitAtACustomRateIsMeasured) {
  HostPaceDetector detector(1024);
  // icmp_ratelimit=100 ms: 10 answers a second.
  const auto report =
      run_host(detector, milliseconds(2), seconds(5), linux_icmp_limiter(milliseconds(100)));
  EXPECT_EQ(report.pace, HostPace::Limited);
  EXPECT_NEAR(report.answers_per_second, 10.0, 1.0);
}

TEST(HostPaceDetector, OnlyTheBurstGivesNoVerdictYet) {
  HostPaceDetector detector(1024);
  // 150 ports sent in 150 ms: the burst of six answers and nothing more so far.
  const auto report =
      run_host(detector, milliseconds(1), milliseconds(150), linux_icmp_limiter(seconds(1)));
  EXPECT_EQ(report.error_answers, 6u);
  EXPECT_EQ(report.pace, HostPace::Unknown);
  EXPECT_EQ(report.answers_per_second, 0.0);
}

TEST(HostPaceDetector, BsdPerSecondCounterReadsAbout200PerSecond) {
  HostPaceDetector detector(1024);
  // 2000 probes/s for 5 s: 200 answers in the first 100 ms of each second, then silence.
  const auto report = run_host(detector, microseconds(500), seconds(5), per_second_counter(200));
  EXPECT_EQ(report.pace, HostPace::Limited);
  EXPECT_NEAR(report.answers_per_second, 200.0, 20.0);
}

TEST(HostPaceDetector, SmoothTwoHundredPerSecondCapReads200PerSecond) {
  HostPaceDetector detector(1024);
  const auto report =
      run_host(detector, microseconds(250), seconds(3), linux_icmp_limiter(milliseconds(5)));
  EXPECT_EQ(report.pace, HostPace::Limited);
  EXPECT_NEAR(report.answers_per_second, 200.0, 20.0);
}

TEST(HostPaceDetector, PerSecondCounterThatIsNeverReachedIsUnlimited) {
  HostPaceDetector detector(1024);
  // 150 probes/s against a 200/s counter: every probe is answered.
  const auto report = run_host(detector, microseconds(6667), seconds(5), per_second_counter(200));
  EXPECT_EQ(report.pace, HostPace::Unlimited);
}

TEST(HostPaceDetector, DownHostNeverTriggers) {
  HostPaceDetector detector(1024);
  const auto report =
      run_host(detector, milliseconds(1), seconds(10),
               [](Nanoseconds) -> std::optional<Nanoseconds> { return std::nullopt; });
  EXPECT_EQ(report.probes_sent, 10'000u);
  EXPECT_EQ(report.error_answers, 0u);
  EXPECT_EQ(report.pace, HostPace::Unknown);
}

TEST(HostPaceDetector, HostAnsweringEverythingIsUnlimited) {
  HostPaceDetector detector(1024);
  const auto report =
      run_host(detector, milliseconds(1), seconds(5),
               [](Nanoseconds t) -> std::optional<Nanoseconds> { return t + kRtt; });
  EXPECT_EQ(report.pace, HostPace::Unlimited);
}

TEST(HostPaceDetector, IndependentLossNeverTriggers) {
  for (const double loss : {0.05, 0.30}) {
    for (std::uint32_t seed = 1; seed <= 20; ++seed) {
      for (const Nanoseconds interval :
           {Nanoseconds{microseconds(100)}, Nanoseconds{milliseconds(1)},
            Nanoseconds{milliseconds(20)}}) {
        HostPaceDetector detector(1024);
        const auto report = run_host(detector, interval, seconds(2), independent_loss(loss, seed));
        EXPECT_EQ(report.pace, HostPace::Unlimited)
            << "loss " << loss << " seed " << seed << " interval " << interval.count() << " ns";
      }
    }
  }
}

TEST(HostPaceDetector, HeavyIndependentLossAtAConstantRateDoesNotTrigger) {
  // 60 % loss passes the answer-ratio test; the gaps' spread (geometric, CV ~0.77) does not.
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    HostPaceDetector detector(1024);
    const auto report =
        run_host(detector, milliseconds(1), seconds(3), independent_loss(0.6, seed));
    EXPECT_EQ(report.pace, HostPace::Unlimited) << "seed " << seed;
  }
}

TEST(HostPaceDetector, PositiveAnswersAreNotWaitingProbes) {
  // 90 % of the probes hit open ports (SYN-ACK), the other 10 % are answered with RST: nothing
  // waits, even though the RSTs answer only a tenth of the probes.
  HostPaceDetector detector(1024);
  for (int i = 0; i < 2000; ++i) {
    const Nanoseconds t = milliseconds(i);
    detector.on_sent(kHost, t);
    detector.on_reply(kHost, i % 10 == 0 ? ReplyKind::Rst : ReplyKind::Positive, t + kRtt);
  }
  EXPECT_EQ(detector.report(kHost).pace, HostPace::Unlimited);
}

TEST(HostPaceDetector, HostsAreTrackedApart) {
  HostPaceDetector detector(1024);
  const auto limited =
      run_host(detector, milliseconds(20), seconds(12), linux_icmp_limiter(seconds(1)), 1);
  const auto open = run_host(
      detector, milliseconds(20), seconds(12),
      [](Nanoseconds t) -> std::optional<Nanoseconds> { return t + kRtt; }, 2);
  EXPECT_EQ(limited.pace, HostPace::Limited);
  EXPECT_EQ(open.pace, HostPace::Unlimited);
  EXPECT_EQ(detector.report(1).pace, HostPace::Limited);
  EXPECT_EQ(detector.report(3).pace, HostPace::Unknown);  // never seen
}

TEST(HostPaceDetector, TableIsBoundedAndEvictsTheLeastRecentlyActive) {
  HostPaceDetector detector(16);
  for (std::uint32_t host = 0; host < 1000; ++host) {
    detector.on_sent(host, milliseconds(host));
  }
  EXPECT_GT(detector.evictions(), 0u);
  EXPECT_EQ(detector.report(999).probes_sent, 1u);  // the most recent is always there
  std::uint32_t tracked = 0;
  for (std::uint32_t host = 0; host < 1000; ++host) tracked += detector.report(host).probes_sent;
  EXPECT_LE(tracked, 16u);
}

TEST(HostPaceDetector, CapturedLinuxKernelTimelineReadsAboutOnePerSecond) {
  // A real kernel's answers (header of the data file: how it was captured): 6 at once, then the
  // per-peer limiter's one a second, with the target's two UDP answers (ports 53, 123) between.
  std::ifstream file(std::string(SYNSCAN_TEST_DATA_DIR) +
                     "/rate/linux_default_icmp_limit.timeline");
  ASSERT_TRUE(file.is_open());
  HostPaceDetector detector(1024);
  std::string line;
  std::uint32_t events = 0;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::int64_t microseconds_since_start = 0;
    char kind = 0;
    ASSERT_TRUE(fields >> microseconds_since_start >> kind) << line;
    const Nanoseconds time = microseconds(microseconds_since_start);
    if (kind == 'S') {
      detector.on_sent(kHost, time);
    } else {
      detector.on_reply(kHost, kind == 'E' ? ReplyKind::IcmpError : ReplyKind::Positive, time);
    }
    ++events;
  }
  ASSERT_GT(events, 280u);
  const auto report = detector.report(kHost);
  EXPECT_EQ(report.error_answers, 20u);
  EXPECT_EQ(report.pace, HostPace::Limited);
  EXPECT_NEAR(report.answers_per_second, 1.0, 0.1);
}

// ---- path ----

struct Phase {
  double rate;  // probes per second
  Nanoseconds length;
};

// Probes across many hosts at each phase's rate, fed once a millisecond from `t` on (advanced);
// each is answered with probability `answer_probability(current rate)`, 2 ms later.
PathReport run_path(PathSaturationDetector& detector, Nanoseconds& t,
                    const std::vector<Phase>& phases,
                    const std::function<double(double rate)>& answer_probability,
                    std::uint32_t seed = 1) {
  std::mt19937 random(seed);
  std::vector<std::pair<Nanoseconds, std::uint32_t>> pending;  // answers due
  for (const Phase& phase : phases) {
    const auto per_millisecond = static_cast<std::uint32_t>(phase.rate / 1000.0);
    std::binomial_distribution<std::uint32_t> answered(per_millisecond,
                                                       answer_probability(phase.rate));
    for (const Nanoseconds end = t + phase.length; t < end; t += milliseconds(1)) {
      for (const auto& [due, count] : pending) {
        if (due <= t && count > 0) detector.on_reply(due, count);
      }
      std::erase_if(pending, [&](const auto& item) { return item.first <= t; });
      detector.on_sent(t, per_millisecond);
      pending.emplace_back(t + milliseconds(2), answered(random));
    }
  }
  for (const auto& [due, count] : pending) {
    if (count > 0) detector.on_reply(due, count);
  }
  detector.advance(t + milliseconds(2));  // closes the last bin
  return detector.report();
}

// A stateful device with a table that carries `capacity` new flows a second: above it, the
// excess is dropped. Some hosts are down: 60 % answer at best.
std::function<double(double)> saturating_path(double capacity) {
  return [=](double rate) { return 0.6 * std::min(1.0, capacity / rate); };
}

TEST(PathSaturationDetector, RatioFallingAboveARateAndRecoveringIsConfirmed) {
  PathSaturationDetector detector(Nanoseconds{0});
  Nanoseconds t{0};
  const std::vector<Phase> rising = {{10'000, seconds(2)},
                                     {20'000, seconds(2)},
                                     {30'000, seconds(2)},
                                     {45'000, seconds(2)},
                                     {60'000, seconds(2)}};
  const auto during = run_path(detector, t, rising, saturating_path(35'000));
  EXPECT_EQ(during.verdict, PathVerdict::FallsAboveRate);
  EXPECT_GE(during.carried_rate, 25'000);
  EXPECT_LE(during.carried_rate, 35'000);
  EXPECT_NEAR(during.ratio_below, 0.6, 0.03);
  EXPECT_LT(during.ratio_above, 0.5);

  const auto after = run_path(detector, t, {{20'000, seconds(2)}}, saturating_path(35'000));
  EXPECT_EQ(after.verdict, PathVerdict::Confirmed);
}

TEST(PathSaturationDetector, IndependentLossAtAConstantRateNeverTriggers) {
  for (const double loss : {0.05, 0.30}) {
    PathSaturationDetector detector(Nanoseconds{0});
    Nanoseconds t{0};
    const auto report =
        run_path(detector, t, {{50'000, seconds(16)}}, [&](double) { return 1.0 - loss; });
    EXPECT_EQ(report.verdict, PathVerdict::None) << "loss " << loss;
  }
}

TEST(PathSaturationDetector, IndependentLossAtChangingRatesNeverTriggers) {
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    PathSaturationDetector detector(Nanoseconds{0});
    Nanoseconds t{0};
    const auto report = run_path(
        detector, t,
        {{10'000, seconds(3)}, {50'000, seconds(3)}, {10'000, seconds(3)}, {50'000, seconds(3)}},
        [](double) { return 0.7; }, seed);
    EXPECT_EQ(report.verdict, PathVerdict::None) << "seed " << seed;
  }
}

TEST(PathSaturationDetector, DownTargetsNeverTrigger) {
  PathSaturationDetector detector(Nanoseconds{0});
  Nanoseconds t{0};
  const auto report = run_path(detector, t, {{10'000, seconds(3)}, {50'000, seconds(3)}},
                               [](double) { return 0.0; });
  EXPECT_EQ(report.verdict, PathVerdict::None);
}

TEST(PathSaturationDetector, PathCarryingEveryRateNeverTriggers) {
  PathSaturationDetector detector(Nanoseconds{0});
  Nanoseconds t{0};
  const auto report =
      run_path(detector, t, {{10'000, seconds(3)}, {30'000, seconds(3)}, {60'000, seconds(3)}},
               [](double) { return 1.0; });
  EXPECT_EQ(report.verdict, PathVerdict::None);
}

TEST(PathSaturationDetector, TooFewProbesPerBinGiveNoVerdict) {
  // 200 probes/s: 50 a bin, under min_bin_sends; no comparison on so little.
  PathSaturationDetector detector(Nanoseconds{0});
  for (int i = 0; i < 5000; ++i) detector.on_sent(milliseconds(5 * i));
  detector.advance(seconds(30));
  EXPECT_EQ(detector.report().verdict, PathVerdict::None);
}

}  // namespace
}  // namespace synscan::rate
