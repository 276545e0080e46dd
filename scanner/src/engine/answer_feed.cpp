#include "engine/answer_feed.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace synscan::scanner::engine {

AnswerFeed::AnswerFeed(std::span<const std::unique_ptr<SendLog>> logs, std::uint32_t host_capacity,
                       rate::Nanoseconds start, PaceBoard* board)
    : board_(board), hosts_(host_capacity, host_config()), path_(start) {
  for (const std::unique_ptr<SendLog>& log : logs) logs_.push_back(log.get());
}

// Linux's burst of 6, plus one: after the burst the transmitters pause (retry timeout, pacing's
// probe delay) and the limiter saves tokens meanwhile, so the first answer after the pause comes
// early; measured, it would overestimate the host's rate.
rate::HostPaceConfig AnswerFeed::host_config() noexcept {
  rate::HostPaceConfig config;
  config.burst_answers = 7;
  return config;
}

rate::ReplyKind AnswerFeed::reply_kind(output::Reason reason) noexcept {
  switch (reason) {
    case output::Reason::kSynAck:
    case output::Reason::kUdpResponse:
      return rate::ReplyKind::Positive;
    case output::Reason::kReset:
      return rate::ReplyKind::Rst;
    default:
      return rate::ReplyKind::IcmpError;
  }
}

void AnswerFeed::on_answer(std::uint32_t target, output::Reason reason, AnswerSource source,
                           rate::Nanoseconds now) noexcept {
  path_.on_reply(now);
  if (source != AnswerSource::kTarget) return;
  const rate::ReplyKind kind = reply_kind(reason);
  if (hosts_.on_reply(target, kind, now) && board_ != nullptr) publish_if_limited(target, kind);
}

// Published once the host gave kMinPublishedAnswers error answers (the first steady gaps can be
// short, from tokens the host's limiter saved while the scanner waited: the estimate needs a few
// more), and again when the estimate moved by more than 5 %: the transmitters pace by it.
void AnswerFeed::publish_if_limited(std::uint32_t target, rate::ReplyKind kind) noexcept {
  constexpr std::uint32_t kMinPublishedAnswers = 16;
  const rate::HostPaceReport report = hosts_.report(target);
  if (report.pace != rate::HostPace::Limited || report.error_answers < kMinPublishedAnswers) return;
  const std::optional<double> published = board_->rate_of(target);
  if (published && std::abs(*published - report.answers_per_second) <= 0.05 * *published) return;
  (void)board_->publish(target, report.answers_per_second,
                        kind == rate::ReplyKind::Rst ? PaceBoard::Kind::kRst : PaceBoard::Kind::kIcmp);
}

void AnswerFeed::drain_sends() noexcept {
  for (SendLog* log : logs_) {
    log->drain([this](rate::Nanoseconds time, std::span<const std::uint32_t> hosts) {
      path_.on_sent(time, static_cast<std::uint32_t>(hosts.size()));
      for (const std::uint32_t host : hosts) hosts_.on_sent(host, time);
      sends_seen_ += hosts.size();
    });
  }
}

std::uint32_t answer_feed_capacity(std::size_t slots, std::uint32_t hosts_per_group) noexcept {
  const std::uint64_t in_flight = std::uint64_t{slots} * hosts_per_group;
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(in_flight, 1024, 65536));
}

std::size_t send_log_words(double rate_per_thread, std::uint32_t max_batch) noexcept {
  const double frames = rate_per_thread > 0 ? rate_per_thread * 0.25 : double{1 << 20};
  const double batches = frames / std::max<std::uint32_t>(max_batch, 1) + 1;
  // Twice the batch's record, at least: a record never wraps, so one may leave a pad behind.
  const double words = std::max(frames + batches * 3, 2.0 * (max_batch + 3));
  return static_cast<std::size_t>(std::min(words, double{1 << 22}));
}

}  // namespace synscan::scanner::engine
