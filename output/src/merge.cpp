// merge: shard outputs and resumed parts combined into one scan (tools.hpp).
#include <algorithm>
#include <set>

#include "output/tools.hpp"

namespace synscan::output {
namespace {

void widen(std::time_t& start, std::time_t& end, std::time_t first, std::time_t last) {
  if (first) start = start ? std::min(start, first) : first;
  end = std::max(end, last);
}

void append_sorted_unique(std::vector<std::uint16_t>& into,
                          const std::vector<std::uint16_t>& from) {
  into.insert(into.end(), from.begin(), from.end());
  std::sort(into.begin(), into.end());
  into.erase(std::unique(into.begin(), into.end()), into.end());
}

// XML and greppable files omit hosts that answered nothing; JSON lines lists their ports.
bool omits_silent_hosts(const ScanModel& part) {
  return part.format != ScanFileFormat::kJsonLines;
}

// What a part that omits silent hosts tells us about them: it probed these ports on every
// host it did not list, and got no answer.
struct SilentHostPorts {
  std::vector<std::uint16_t> tcp, udp;
  std::set<std::uint32_t> listed;
};

void add_unanswered(ScannedHost& host, const SilentHostPorts& silent) {
  for (const Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    for (const std::uint16_t number : protocol == Protocol::kTcp ? silent.tcp : silent.udp) {
      ScannedPort port;
      port.result.port = number;
      port.result.protocol = protocol;
      port.result.state =
          protocol == Protocol::kTcp ? PortState::kFiltered : PortState::kOpenFiltered;
      port.result.reason = Reason::kNoResponse;
      port.time = host.end_time;
      host.ports.push_back(std::move(port));
    }
  }
}

}  // namespace

ScanModel merge_scans(std::vector<ScanModel> parts) {
  ScanModel merged;
  merged.origin = "merged scans";
  merged.scanner = "synscan";
  if (!parts.empty()) merged.format = parts.front().format;
  std::vector<SilentHostPorts> silent_parts;

  for (ScanModel& part : parts) {
    merged.warnings.insert(merged.warnings.end(), part.warnings.begin(), part.warnings.end());
    widen(merged.start_time, merged.end_time, part.start_time, part.end_time);
    append_sorted_unique(merged.scanned_tcp_ports, part.scanned_tcp_ports);
    append_sorted_unique(merged.scanned_udp_ports, part.scanned_udp_ports);
    merged.hosts_total = std::max(merged.hosts_total, part.hosts_total);
    if (omits_silent_hosts(part) &&
        !(part.scanned_tcp_ports.empty() && part.scanned_udp_ports.empty())) {
      SilentHostPorts silent{part.scanned_tcp_ports, part.scanned_udp_ports, {}};
      for (const auto& [address, host] : part.hosts) silent.listed.insert(address);
      silent_parts.push_back(std::move(silent));
    }
    for (auto& [address, host] : part.hosts) {
      auto [existing, inserted] = merged.hosts.try_emplace(address, std::move(host));
      if (inserted) continue;
      ScannedHost& into = existing->second;
      into.up = into.up || host.up;
      widen(into.start_time, into.end_time, host.start_time, host.end_time);
      into.ports.insert(into.ports.end(), std::make_move_iterator(host.ports.begin()),
                        std::make_move_iterator(host.ports.end()));
      into.collapsed.insert(into.collapsed.end(), host.collapsed.begin(), host.collapsed.end());
    }
  }

  for (auto& [address, host] : merged.hosts) {
    normalise_ports(host, merged.origin, merged.warnings);
    if (!host.up) continue;
    bool added = false;
    for (const SilentHostPorts& silent : silent_parts) {
      if (silent.listed.contains(address)) continue;
      add_unanswered(host, silent);
      added = true;
    }
    // Added ports lose to any real record of the same port (no-response is the least
    // informative result, and two no-responses agree), so this never overrides or warns.
    if (added) {
      std::vector<std::string> never_conflicts;
      normalise_ports(host, merged.origin, never_conflicts);
    }
  }
  // Several scans: the merge's own command line describes the result; shards run side by side,
  // so their run times do not add up and the span start..end is used instead.
  merged.command_line.clear();
  merged.elapsed_seconds = -1;
  merged.hosts_total = std::max<std::uint64_t>(merged.hosts_total, merged.hosts.size());
  return merged;
}

}  // namespace synscan::output
