#include "engine/collector.hpp"

#include <algorithm>

namespace synscan::scanner::engine {
namespace {

bool any_json_lines(const ScanPlan& plan) {
  return std::any_of(plan.outputs.begin(), plan.outputs.end(), [](const output::OutputTarget& request) {
    return request.format == output::Format::kJsonLines;
  });
}

}  // namespace

Collector::Collector(const ScanPlan& plan, Resources& resources,
                     std::vector<std::unique_ptr<output::ResultWriter>>& writers, ResumeRecorder& resume)
    : plan_(plan),
      resources_(resources),
      writers_(writers),
      resume_(resume),
      probes_per_host_(resources.probes.probes_per_host()),
      streams_ports_(any_json_lines(plan)),
      counts_silent_hosts_(!(streams_ports_ && (!plan.only_open || !plan.ports.udp.empty())) &&
                           resources.order.shard().count == 1) {
  if (plan.banners) {
    const packet::SourcePortRange raw_ports = resources.probes.cookie().source_ports();
    services_ = std::make_unique<ServiceHook>(plan, raw_ports.first, raw_ports.count);
  }
}

template <typename Call>
void Collector::for_each_writer(Call&& call) {
  for (auto& writer : writers_) {
    if (!writer) continue;
    try {
      call(*writer);
    } catch (const output::OutputError&) {
      // A dead output (closed pipe, full disk) stops the scan; the other outputs carry on and
      // are closed well-formed.
      if (!output_error_) output_error_ = std::current_exception();
      writer.reset();
    }
  }
}

void Collector::begin() {
  output::ScanInfo info;
  info.scanner_version = SYNSCAN_VERSION;
  info.command_line = plan_.command_line;
  info.start_time = std::time(nullptr);
  info.tcp_ports = plan_.ports.tcp;
  info.udp_ports = plan_.ports.udp;
  info.only_open = plan_.only_open;
  info.banners = plan_.banners;
  for_each_writer([&](output::ResultWriter& writer) { writer.begin(info); });
}

void Collector::collect(const std::deque<DoneGroup>& done) {
  if (streams_ports_ || services_) stream_port_results();
  for (const DoneGroup& group : done) write_group(group);
  if (services_) services_->poll([this](HeldHost& held) { write_held(held); });
  for_each_writer([](output::ResultWriter& writer) { writer.end_batch(); });
}

void Collector::finish(const output::ScanSummary& summary) {
  for_each_writer([&](output::ResultWriter& writer) { writer.finish(summary); });
}

void Collector::rethrow_if_failed() const {
  if (output_error_) std::rethrow_exception(output_error_);
}

void Collector::emit_port(std::uint32_t address, const output::PortResult& result, std::time_t when) {
  for_each_writer([&](output::ResultWriter& writer) { writer.port_result(address, result, when); });
}

// Per-port records as soon as they are final (only JSON lines consumes them). Only groups with
// new final entries since the last pass are walked: at high rates the window holds millions of
// entries and most of them do not change between two passes. The reported bit makes each record
// appear once (here or in write_group).
void Collector::stream_port_results() {
  const std::time_t now = std::time(nullptr);
  resources_.window.for_each_changed([&](GroupSlot at) { stream_group(at, now); });
}

void Collector::stream_group(GroupSlot at, std::time_t now) {
  ScanWindow& window = resources_.window;
  const std::uint64_t entries = resources_.order.entries_in_group(at.group);
  for (std::uint64_t entry = 0; entry < entries; ++entry) {
    const Entry view = window.load(at, entry);
    if (!view.final() || view.reported()) continue;
    const auto probe = static_cast<std::size_t>(entry % probes_per_host_);
    const output::PortResult result = resources_.probes.result(probe, view.reason(), view.ttl());
    // A result no output or stage wants needs no record and no locked op (see write_host).
    if (!wants_record(result)) continue;
    if (!window.mark_reported(at, entry)) continue;
    const auto local_host = static_cast<std::uint32_t>(entry / probes_per_host_);
    record(plan_.targets.at(resources_.order.host_index(at.group, local_host)), result, now);
  }
}

void Collector::write_group(const DoneGroup& done) {
  const GroupSlot at = resources_.window.locate(done.group);
  const std::time_t now = std::time(nullptr);
  if (!done.interrupted) resume_.group_done(done.group);
  const std::uint32_t hosts = resources_.order.hosts_in_group(done.group);
  for (std::uint32_t local_host = 0; local_host < hosts; ++local_host) {
    if (counts_silent_hosts_ && count_if_silent(at, local_host, done.interrupted)) continue;
    write_host(at, local_host, done.interrupted, now);
  }
  if (done.interrupted) {
    // Saved after the records above were emitted, so their reported bits travel with them.
    resume_.group_in_flight(done.group, resources_.window.saved_entries(
                                            at, resources_.order.entries_in_group(done.group)));
  }
  resources_.window.release(at);
}

// Most hosts of a sweep answer nothing. Such a host costs one load per probe: counted by state,
// no result built, no host record. False (nothing counted) when the host answered something.
bool Collector::count_if_silent(GroupSlot at, std::uint32_t local_host, bool interrupted) {
  std::uint64_t silent[4] = {};  // by PortState
  const std::uint64_t first_entry = std::uint64_t{local_host} * probes_per_host_;
  for (std::uint32_t probe = 0; probe < probes_per_host_; ++probe) {
    const Entry view = resources_.window.load(at, first_entry + probe);
    if (!view.final()) {
      if (interrupted) continue;  // before all tries: left out, never guessed
    } else if (!view.no_response()) {
      return false;  // an up host: write_host
    }
    const output::Protocol protocol = resources_.probes.protocol(probe);
    ++silent[static_cast<int>(output::port_state(protocol, output::Reason::kNoResponse))];
  }
  for (int state = 0; state < 4; ++state) totals_.states[state] += silent[state];
  return true;
}

void Collector::write_host(GroupSlot at, std::uint32_t local_host, bool interrupted, std::time_t now) {
  ScanWindow& window = resources_.window;
  const ScanOrder& order = resources_.order;
  const std::uint32_t address = plan_.targets.at(order.host_index(at.group, local_host));
  host_ports_.clear();
  for (std::uint32_t probe = 0; probe < probes_per_host_; ++probe) {
    const std::uint64_t entry = std::uint64_t{local_host} * probes_per_host_ + probe;
    if (!order.in_shard(at.group, entry)) continue;
    Entry view = window.load(at, entry);
    if (!view.final()) {
      if (interrupted) continue;  // before all tries: left out, never guessed
      view = view.or_no_response();  // sealed after every try and the wait: no answer
    }
    const output::PortResult result = resources_.probes.result(probe, view.reason(), view.ttl());
    // Per-port records (JSON lines, the service stage) for what streaming has not handled yet.
    // Without a consumer, or for a state --open leaves out, no record is due; the group is sealed
    // (handed over), so marking it needs no locked op.
    if (!view.reported() && wants_record(result) && window.mark_reported_sealed(at, entry)) {
      record(address, result, now);
    }
    ++totals_.states[static_cast<int>(result.state)];
    host_ports_.push_back(result);
  }
  if (!output::host_is_up(host_ports_)) return;
  ++totals_.hosts_up;
  // --banners: a host with open ports in the service stage is written when their results are in.
  if (services_ && services_->hold(address, host_ports_, window.opened_at(at), now, interrupted)) return;
  const std::string fake_open = fake_open_reason(host_ports_, nullptr);
  const output::HostResult host{address, host_ports_, window.opened_at(at), now, {}, fake_open};
  for_each_writer([&](output::ResultWriter& writer) { writer.host(host); });
}

bool Collector::wants_record(const output::PortResult& result) const noexcept {
  if (services_ && result.protocol == output::Protocol::kTcp && result.state == output::PortState::kOpen) return true;
  return streams_ports_ && (!plan_.only_open || output::shown_with_open_only(result.state));
}

// Once per final result (the window's reported bit): an open TCP port goes to the service stage
// (its record is written with its service facts, write_held), any other result to the stream.
void Collector::record(std::uint32_t address, const output::PortResult& result, std::time_t when) {
  if (services_ && result.protocol == output::Protocol::kTcp && result.state == output::PortState::kOpen) {
    services_->open_port(address, result.port);
  } else {
    emit_port(address, result, when);
  }
}

void Collector::write_held(HeldHost& held) {
  const output::HostResult host{held.address, held.ports, held.start_time, held.end_time, held.services,
                                held.fake_open};
  for (const output::PortResult& port : held.ports) {
    if (port.protocol != output::Protocol::kTcp || port.state != output::PortState::kOpen) continue;
    const output::ServiceFacts* facts = output::service_of(host, port.port);
    if (facts == nullptr) {
      if (streams_ports_) emit_port(held.address, port, held.end_time);
      continue;
    }
    const std::string_view fake_open = output::marked_fake_open(host, port) ? held.fake_open : std::string_view{};
    for_each_writer([&](output::ResultWriter& writer) {
      writer.port_service(held.address, port, *facts, fake_open, held.end_time);
    });
  }
  for_each_writer([&](output::ResultWriter& writer) { writer.host(host); });
}

void Collector::finish_services(const std::atomic<int>& interrupts, std::chrono::steady_clock::time_point scan_end) {
  if (!services_) return;
  services_->drain([this](HeldHost& held) { write_held(held); }, interrupts, [this] { return failed(); });
  for_each_writer([](output::ResultWriter& writer) { writer.end_batch(); });
  services_->final_line(scan_end);
}

}  // namespace synscan::scanner::engine
