#include "engine/receiver.hpp"

#include <array>
#include <chrono>
#include <optional>

#include "engine/source_range.hpp"
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
}

void Receiver::run(const std::stop_token& stop) {
  auto last_stats = std::chrono::steady_clock::now();
  while (!stop.stop_requested()) {
    if (!resources_.source->dispatch(&Receiver::on_frame, this)) break;
    if (feed_) feed_->drain_sends();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_stats > std::chrono::milliseconds(500)) {
      last_stats = now;
      publish_drops();
    }
  }
  publish_drops();
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
  switch (resources_.window.answer(resources_.window.locate(location.group), entry, verdict.reason, reply.ttl)) {
    case Finalize::kFirst: {
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
