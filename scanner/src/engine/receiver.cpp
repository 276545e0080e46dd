#include "engine/receiver.hpp"

#include <array>
#include <chrono>
#include <optional>

#include "engine/source_range.hpp"
#include <spdlog/spdlog.h>

#include "packet/reply.hpp"
#include "rate/token_bucket.hpp"

namespace synscan::scanner::engine {
namespace {

// Only the receive thread writes these counters: a plain load and store, no locked op.
void bump(std::atomic<std::uint64_t>& counter) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace

Receiver::Receiver(const ScanPlan& plan, Resources& resources, Shared& shared)
    : plan_(plan), resources_(resources), shared_(shared) {
  if (shared.send_logs.empty()) return;
  feed_ = std::make_unique<AnswerFeed>(
      shared.send_logs,
      answer_feed_capacity(resources.window.slot_count(), resources.order.hosts_per_group()),
      rate::monotonic_now(), &shared.pace_board);
  // With a ceiling to come back to; --rate max has none (and --fixed-rate no send logs).
  if (plan.rate > 0) path_.emplace(plan.rate, rate::monotonic_now());
}

void Receiver::run(const std::stop_token& stop) {
  auto last_stats = std::chrono::steady_clock::now();
  while (!stop.stop_requested()) {
    if (!resources_.source->dispatch(&Receiver::on_frame, this)) break;
    if (feed_) feed_->drain_sends();
    if (path_) poll_path();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_stats > std::chrono::milliseconds(500)) {
      last_stats = now;
      publish_drops();
    }
  }
  publish_drops();
  if (path_ && path_->detector().verdict != rate::PathVerdict::None) {
    const rate::PathReport& found = path_->detector();
    spdlog::info("path saturation detector: answer ratio {:.2f} at or below {:.0f} pps, {:.2f} above ({})",
                 found.ratio_below, found.carried_rate, found.ratio_above,
                 found.verdict == rate::PathVerdict::Confirmed ? "recovered when the rate dropped"
                                                               : "not seen to recover");
  }
}

// The path controller, a few hundred times a second at most: it closes a 250 ms bin when one ended.
void Receiver::poll_path() noexcept {
  const rate::Nanoseconds now = rate::monotonic_now();
  if (now - last_path_poll_ < std::chrono::milliseconds(2)) return;
  last_path_poll_ = now;
  const rate::PathState before = path_->state();
  const bool changed = path_->update(now, shared_.transmitted(&TransmitCounters::first_tries), first_answers_,
                                     shared_.transmitted(&TransmitCounters::frames_sent));
  if (!changed && before == path_->state() &&
      shared_.path.lossy_until_ns.load(std::memory_order_relaxed) == path_->lossy_until().count()) {
    return;
  }
  publish_path();
  spdlog::debug("path: {} at {:.0f} pps (answer ratio reference {:.3f})",
                path_->state() == rate::PathState::kFull         ? "full rate"
                : path_->state() == rate::PathState::kConfirming ? "backed off, confirming"
                                                                 : "path limited",
                path_->rate(), path_->reference_ratio());
}

void Receiver::publish_path() noexcept {
  PathPublished& out = shared_.path;
  const rate::PathLimit& limit = path_->limit();
  out.rate.store(path_->rate(), std::memory_order_relaxed);
  out.lossy_until_ns.store(path_->lossy_until().count(), std::memory_order_relaxed);
  out.state.store(static_cast<std::uint8_t>(path_->state()), std::memory_order_relaxed);
  out.backoffs.store(limit.backoffs, std::memory_order_relaxed);
  out.false_alarms.store(limit.false_alarms, std::memory_order_relaxed);
  out.fell_to.store(limit.fell_to, std::memory_order_relaxed);
  out.fell_above.store(limit.fell_above, std::memory_order_relaxed);
  out.lowest.store(limit.lowest, std::memory_order_relaxed);
  out.confirmed.store(limit.confirmed, std::memory_order_relaxed);
}

// An ARP request for an address of the -S range: answered with the interface's MAC (the capture
// passes ARP requests only when there is a range). True for every ARP frame (none is a reply).
bool Receiver::answer_arp(std::span<const std::byte> frame) noexcept {
  if (resources_.capture_link != packet::LinkType::kEthernet || !plan_.source_ip) return false;
  std::array<std::byte, 64> reply{};
  const std::size_t size = arp_reply_for(frame, *plan_.source_ip, plan_.source_count,
                                         resources_.network.hop.interface_mac, reply);
  if (size == 0) return frame.size() >= 14 && frame[12] == std::byte{0x08} && frame[13] == std::byte{0x06};
  const FrameRef ref{reply.data(), static_cast<std::uint32_t>(size)};
  resources_.arp_sender->send(std::span<const FrameRef>(&ref, 1), arp_counters_);
  return true;
}

void Receiver::publish_drops() noexcept {
  const CaptureDrops drops = resources_.source->drops();
  shared_.receive.kernel_drops.store(drops.kernel_drops, std::memory_order_relaxed);
  shared_.receive.interface_drops.store(drops.interface_drops, std::memory_order_relaxed);
}

// Parse, classify (the probe kind validates the cookie), locate the probe, finalize its entry.
void Receiver::handle_frame(std::span<const std::byte> frame) noexcept {
  ReceiveCounters& counters = shared_.receive;
  bump(counters.frames_seen);
  if (resources_.arp_sender && answer_arp(frame)) return;
  packet::Reply reply;
  if (packet::parse_captured_frame(resources_.capture_link, frame, reply) != packet::ParseStatus::kOk) {
    bump(counters.parse_rejects);
    return;
  }
  Verdict verdict;
  std::int32_t probe = -1;
  switch (resources_.probes.classify(reply, verdict, probe)) {
    case Classified::kOurs:
      break;
    case Classified::kNotOurs:
      bump(counters.not_ours);
      return;
    case Classified::kUnexpected:
      bump(counters.parse_rejects);
      return;
  }
  const std::optional<std::uint64_t> host_index = plan_.targets.index_of(verdict.target);
  if (probe < 0 || !host_index) {
    bump(counters.not_a_target);
    return;
  }
  if (feed_) {
    const AnswerSource source = reply.protocol != packet::kProtocolIcmp || reply.source_ip == verdict.target
                                    ? AnswerSource::kTarget
                                    : AnswerSource::kOther;
    feed_->on_answer(verdict.target, verdict.reason, source, rate::monotonic_now());
  }
  const ScanOrder::Location location = resources_.order.locate(*host_index);
  const std::uint64_t entry = std::uint64_t{location.local_host} * resources_.probes.probes_per_host() +
                              static_cast<std::uint64_t>(probe);
  const GroupSlot at = resources_.window.locate(location.group);
  switch (resources_.window.answer(at, entry, verdict.reason, reply.ttl)) {
    case Finalize::kFirst: {
      if (resources_.window.send_count(at, entry) == 1) ++first_answers_;
      const std::uint64_t key = probe_key(location.group, entry, resources_.order.max_entries_per_group());
      if (RttEstimator::wants_sample(key)) shared_.rtt.on_answer(key, rate::monotonic_now());
      bump(counters.results);
      if (resources_.probes.result(static_cast<std::size_t>(probe), verdict.reason, 0).state ==
          output::PortState::kOpen) {
        bump(counters.open_found);
      }
      break;
    }
    case Finalize::kDuplicate:
      bump(counters.duplicates);
      break;
    case Finalize::kStale:
      bump(counters.late);
      break;
  }
}

}  // namespace synscan::scanner::engine
