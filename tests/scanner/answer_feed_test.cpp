// The receive thread's answer feed: the transmitters' SendLog rings (batch records in, the same
// records out, a full ring dropping and counting instead of blocking) and AnswerFeed's routing of
// answers to the detectors (an ICMP error from a router never reaches the host detector).
#include "engine/answer_feed.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <numeric>
#include <thread>
#include <vector>

namespace synscan::scanner::engine {
namespace {

using std::chrono::milliseconds;
using rate::Nanoseconds;

struct Drained {
  std::vector<Nanoseconds> times;
  std::vector<std::uint32_t> hosts;
};

Drained drain(SendLog& log) {
  Drained out;
  log.drain([&](Nanoseconds time, std::span<const std::uint32_t> hosts) {
    out.times.push_back(time);
    out.hosts.insert(out.hosts.end(), hosts.begin(), hosts.end());
  });
  return out;
}

TEST(SendLog, RecordsComeOutInOrderWithTheirTimes) {
  SendLog log(4096);
  const std::vector<std::uint32_t> first{1, 2, 3}, second{4};
  ASSERT_TRUE(log.append(Nanoseconds(5'000'000'000'123), first));
  ASSERT_TRUE(log.append(Nanoseconds(7), second));
  const Drained out = drain(log);
  EXPECT_EQ(out.times, (std::vector<Nanoseconds>{Nanoseconds(5'000'000'000'123), Nanoseconds(7)}));
  EXPECT_EQ(out.hosts, (std::vector<std::uint32_t>{1, 2, 3, 4}));
  EXPECT_TRUE(drain(log).hosts.empty());
}

TEST(SendLog, RecordsNeverSplitAcrossTheRingEnd) {
  SendLog log(4096);
  std::vector<std::uint32_t> batch(1000);
  std::iota(batch.begin(), batch.end(), 0u);
  std::uint64_t total = 0;
  for (int round = 0; round < 50; ++round) {  // 50 x 1003 words: many laps of 4096
    ASSERT_TRUE(log.append(Nanoseconds(round), batch));
    const Drained out = drain(log);
    ASSERT_EQ(out.hosts, batch) << "round " << round;
    ASSERT_EQ(out.times, std::vector<Nanoseconds>{Nanoseconds(round)});
    total += out.hosts.size();
  }
  EXPECT_EQ(total, 50'000u);
  EXPECT_EQ(log.dropped(), 0u);
}

TEST(SendLog, AFullRingDropsAndCountsInsteadOfBlocking) {
  SendLog log(4096);
  const std::vector<std::uint32_t> batch(1000, 9);
  unsigned accepted = 0;
  for (int i = 0; i < 10; ++i) accepted += log.append(Nanoseconds(i), batch) ? 1 : 0;
  EXPECT_EQ(accepted, 4u);  // 4 x 1003 words fit in 4096
  EXPECT_EQ(log.dropped(), 6u);
  EXPECT_EQ(drain(log).hosts.size(), 4000u);
  EXPECT_TRUE(log.append(Nanoseconds(11), batch));  // room again once drained
}

TEST(SendLog, OneProducerOneConsumerLoseNothingTheyDoNotCount) {
  SendLog log(8192);
  constexpr std::uint32_t kBatches = 20'000;
  std::uint64_t consumed_sum = 0, consumed_count = 0;
  std::atomic<bool> done{false};
  std::thread consumer([&] {
    auto take = [&] {
      log.drain([&](Nanoseconds, std::span<const std::uint32_t> hosts) {
        for (const std::uint32_t host : hosts) consumed_sum += host;
        consumed_count += hosts.size();
      });
    };
    while (!done.load()) take();
    take();
  });
  std::uint64_t produced_sum = 0, produced_count = 0;
  std::vector<std::uint32_t> batch;
  for (std::uint32_t i = 0; i < kBatches; ++i) {
    batch.assign(1 + i % 37, i);
    if (log.append(Nanoseconds(i), batch)) {
      produced_sum += std::uint64_t{i} * batch.size();
      produced_count += batch.size();
    }
  }
  done = true;
  consumer.join();
  EXPECT_EQ(consumed_count, produced_count);
  EXPECT_EQ(consumed_sum, produced_sum);
  EXPECT_GT(produced_count, 0u);
}

constexpr std::uint32_t kHost = 0xC6120304;  // 198.18.3.4

// A Linux-limited host as the feed sees it: sends logged every 100 ms, an error answer once a
// second after the burst of six.
void linux_timeline(AnswerFeed& feed, SendLog& log, AnswerSource source) {
  const std::vector<std::uint32_t> one{kHost};
  for (int tick = 0; tick < 150; ++tick) {
    const Nanoseconds now = milliseconds(100 * tick);
    ASSERT_TRUE(log.append(now, one));
    feed.drain_sends();
    if (tick < 6 || tick % 10 == 0) {
      feed.on_answer(kHost, output::Reason::kPortUnreach, source, now + milliseconds(1));
    }
  }
}

TEST(AnswerFeed, SendsFromTheLogsAndTheTargetsOwnErrorsMakeALimitedHost) {
  std::vector<std::unique_ptr<SendLog>> logs;
  logs.push_back(std::make_unique<SendLog>(4096));
  AnswerFeed feed(logs, 1024, Nanoseconds{0});
  linux_timeline(feed, *logs[0], AnswerSource::kTarget);
  const rate::HostPaceReport report = feed.hosts().report(kHost);
  EXPECT_EQ(report.pace, rate::HostPace::Limited);
  EXPECT_NEAR(report.answers_per_second, 1.0, 0.1);
  EXPECT_EQ(report.probes_sent, 150u);
  EXPECT_EQ(feed.sends_seen(), 150u);
}

TEST(AnswerFeed, ALimitedHostIsPublishedOnceItsEstimateSettles) {
  std::vector<std::unique_ptr<SendLog>> logs;
  logs.push_back(std::make_unique<SendLog>(4096));
  PaceBoard board;
  AnswerFeed feed(logs, 1024, Nanoseconds{0}, &board);
  linux_timeline(feed, *logs[0], AnswerSource::kTarget);
  ASSERT_EQ(board.size(), 1u);
  EXPECT_EQ(board.at(0).host, kHost);
  EXPECT_EQ(board.at(0).kind, PaceBoard::Kind::kIcmp);
  ASSERT_TRUE(board.rate_of(kHost).has_value());
  EXPECT_NEAR(*board.rate_of(kHost), 1.0, 0.1);
}

TEST(AnswerFeed, AnUnlimitedHostIsNeverPublished) {
  std::vector<std::unique_ptr<SendLog>> logs;
  logs.push_back(std::make_unique<SendLog>(4096));
  PaceBoard board;
  AnswerFeed feed(logs, 1024, Nanoseconds{0}, &board);
  const std::vector<std::uint32_t> one{kHost};
  for (int tick = 0; tick < 150; ++tick) {  // every probe answered with a RST
    const Nanoseconds now = milliseconds(10 * tick);
    ASSERT_TRUE(logs[0]->append(now, one));
    feed.drain_sends();
    feed.on_answer(kHost, output::Reason::kReset, AnswerSource::kTarget, now + milliseconds(1));
  }
  EXPECT_EQ(board.size(), 0u);
  EXPECT_FALSE(board.rate_of(kHost).has_value());
}

TEST(PaceBoard, PublishesUpdatesAndKeepsPublicationOrder) {
  PaceBoard board;
  EXPECT_TRUE(board.publish(7, 1.0, PaceBoard::Kind::kIcmp));
  EXPECT_TRUE(board.publish(3, 200.0, PaceBoard::Kind::kRst));
  EXPECT_TRUE(board.publish(7, 1.5, PaceBoard::Kind::kIcmp));  // a new estimate, same host
  ASSERT_EQ(board.size(), 2u);
  EXPECT_EQ(board.at(0).host, 7u);
  EXPECT_NEAR(board.at(0).answers_per_second, 1.5, 0.01);
  EXPECT_EQ(board.at(1).host, 3u);
  EXPECT_EQ(board.at(1).kind, PaceBoard::Kind::kRst);
  EXPECT_NEAR(*board.rate_of(3), 200.0, 0.01);
  EXPECT_FALSE(board.rate_of(4).has_value());
  EXPECT_FALSE(board.rate_of(0).has_value());
  EXPECT_TRUE(board.publish(0, 0.5, PaceBoard::Kind::kIcmp));  // host 0 is a host like any other
  ASSERT_TRUE(board.rate_of(0).has_value());
  EXPECT_NEAR(*board.rate_of(0), 0.5, 0.01);
}

TEST(PaceBoard, AFullBoardRefusesAndCounts) {
  PaceBoard board;
  for (std::uint32_t host = 1; host <= PaceBoard::kCapacity; ++host) {
    ASSERT_TRUE(board.publish(host, 1.0, PaceBoard::Kind::kIcmp));
  }
  EXPECT_FALSE(board.publish(0xFFFF'0000, 1.0, PaceBoard::Kind::kIcmp));
  EXPECT_EQ(board.full(), 1u);
  EXPECT_EQ(board.size(), PaceBoard::kCapacity);
  EXPECT_TRUE(board.publish(17, 2.0, PaceBoard::Kind::kIcmp));  // updates still work
}

TEST(AnswerFeed, ErrorsFromARouterNeverReachTheHostDetector) {
  std::vector<std::unique_ptr<SendLog>> logs;
  logs.push_back(std::make_unique<SendLog>(4096));
  AnswerFeed feed(logs, 1024, Nanoseconds{0});
  linux_timeline(feed, *logs[0], AnswerSource::kOther);
  const rate::HostPaceReport report = feed.hosts().report(kHost);
  EXPECT_EQ(report.pace, rate::HostPace::Unknown);
  EXPECT_EQ(report.error_answers, 0u);
  EXPECT_EQ(report.probes_sent, 150u);
}

TEST(AnswerFeed, ReasonsMapToTheDetectorsReplyKinds) {
  EXPECT_EQ(AnswerFeed::reply_kind(output::Reason::kSynAck), rate::ReplyKind::Positive);
  EXPECT_EQ(AnswerFeed::reply_kind(output::Reason::kUdpResponse), rate::ReplyKind::Positive);
  EXPECT_EQ(AnswerFeed::reply_kind(output::Reason::kReset), rate::ReplyKind::Rst);
  EXPECT_EQ(AnswerFeed::reply_kind(output::Reason::kPortUnreach), rate::ReplyKind::IcmpError);
  EXPECT_EQ(AnswerFeed::reply_kind(output::Reason::kAdminProhibited), rate::ReplyKind::IcmpError);
}

TEST(AnswerFeed, SizesStayWithinTheirBounds) {
  EXPECT_EQ(answer_feed_capacity(2, 10), 1024u);
  EXPECT_EQ(answer_feed_capacity(1000, 1000), 65536u);
  EXPECT_GE(send_log_words(10'000, 16), 2500u);  // 250 ms at 10 kpps
  EXPECT_GE(send_log_words(0, 256), std::size_t{1} << 20);
  EXPECT_GE(send_log_words(1, 4096), 2u * (4096 + 3));
}

}  // namespace
}  // namespace synscan::scanner::engine
