#include "engine/answer_feed.hpp"

#include <algorithm>

namespace synscan::scanner::engine {

AnswerFeed::AnswerFeed(std::span<const std::unique_ptr<SendLog>> logs, std::uint32_t host_capacity,
                       rate::Nanoseconds start)
    : hosts_(host_capacity), path_(start) {
  for (const std::unique_ptr<SendLog>& log : logs) logs_.push_back(log.get());
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
  if (source == AnswerSource::kTarget) hosts_.on_reply(target, reply_kind(reason), now);
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
