// diff: what changed between two saved scans (tools.hpp). Built for audits and cron alerts, so the
// text form is one stable line per change and the exit status (set by the CLI) says equal or not.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "net/ipv4_address.hpp"
#include "format.hpp"
#include "output/tools.hpp"

namespace synscan::output {
namespace {

using PortKey = std::pair<Protocol, std::uint16_t>;

const ScannedHost* up_host(const ScanModel& scan, std::uint32_t address) {
  const auto found = scan.hosts.find(address);
  return found != scan.hosts.end() && found->second.up ? &found->second : nullptr;
}

// Per-state totals (listed + summarised ports) for the states a side summarised; "" when none.
// Comparing totals rather than summary counts makes an XML with an expanded port list and a
// greppable file with only "Ignored State: closed (40)" of the same scan agree.
std::string summary_text(const ScannedHost& host, const std::set<PortState>& states) {
  std::string text;
  for (const PortState state : states) {
    std::uint64_t count = 0;
    for (const CollapsedPorts& group : host.collapsed)
      count += group.state == state ? group.count : 0;
    for (const ScannedPort& port : host.ports) count += port.result.state == state ? 1 : 0;
    if (!text.empty()) text += ", ";
    text += fmt::format("{} ({})", to_string(state), count);
  }
  return text;
}

// Whether `host` summarised ports of `state` without listing them (so a missing port of that
// state may be among them).
bool summarises(const ScannedHost& host, PortState state) {
  return std::any_of(host.collapsed.begin(), host.collapsed.end(),
                     [state](const CollapsedPorts& group) { return group.state == state; });
}

void diff_host(std::uint32_t address, const ScannedHost* before, const ScannedHost* after,
               std::vector<Change>& changes) {
  if (before == nullptr || after == nullptr) {
    // Appeared or vanished: one host line, then the open ports it gained or lost.
    const ScannedHost& present = before != nullptr ? *before : *after;
    const bool vanished = before != nullptr;
    changes.push_back({vanished ? ChangeKind::kVanishedHost : ChangeKind::kNewHost, address,
                       std::nullopt, Protocol::kTcp, vanished ? "up" : "host down",
                       vanished ? "host down" : "up"});
    for (const ScannedPort& port : present.ports) {
      if (port.result.state != PortState::kOpen) continue;
      changes.push_back({vanished ? ChangeKind::kNoLongerOpen : ChangeKind::kNewOpenPort, address,
                         port.result.port, port.result.protocol, vanished ? "open" : "host down",
                         vanished ? "host down" : "open"});
    }
    return;
  }
  std::map<PortKey, std::pair<const ScannedPort*, const ScannedPort*>> ports;
  for (const ScannedPort& port : before->ports) {
    ports[{port.result.protocol, port.result.port}].first = &port;
  }
  for (const ScannedPort& port : after->ports) {
    ports[{port.result.protocol, port.result.port}].second = &port;
  }
  for (const auto& [key, pair] : ports) {
    const auto& [old_port, new_port] = pair;
    const std::string from = old_port ? to_string(old_port->result.state) : "not scanned";
    const std::string to = new_port ? to_string(new_port->result.state) : "not scanned";
    if (from == to) continue;
    // Absent on one side, but that side summarised ports of this state: not a known change.
    if ((!old_port && summarises(*before, new_port->result.state)) ||
        (!new_port && summarises(*after, old_port->result.state))) {
      continue;
    }
    const ChangeKind kind = to == "open"     ? ChangeKind::kNewOpenPort
                            : from == "open" ? ChangeKind::kNoLongerOpen
                                             : ChangeKind::kStateChanged;
    changes.push_back({kind, address, key.second, key.first, from, to});
  }
  std::set<PortState> summarised;
  for (const ScannedHost* host : {before, after}) {
    for (const CollapsedPorts& group : host->collapsed) summarised.insert(group.state);
  }
  const std::string old_summary = summary_text(*before, summarised);
  const std::string new_summary = summary_text(*after, summarised);
  if (old_summary != new_summary) {
    changes.push_back({ChangeKind::kSummaryChanged, address, std::nullopt, Protocol::kTcp,
                       old_summary, new_summary});
  }
}

std::string port_text(const Change& change) {
  return change.port ? fmt::format("{}/{}", *change.port, to_string(change.protocol)) : "";
}

}  // namespace

const char* to_string(ChangeKind kind) noexcept {
  switch (kind) {
    case ChangeKind::kNewHost:
      return "new host";
    case ChangeKind::kVanishedHost:
      return "vanished host";
    case ChangeKind::kNewOpenPort:
      return "new open port";
    case ChangeKind::kNoLongerOpen:
      return "no longer open";
    case ChangeKind::kStateChanged:
      return "state changed";
    case ChangeKind::kSummaryChanged:
      return "summary changed";
  }
  return "changed";
}

ScanDiff diff_scans(const ScanModel& before, const ScanModel& after) {
  std::vector<std::uint32_t> addresses;
  for (const auto& [address, host] : before.hosts) addresses.push_back(address);
  for (const auto& [address, host] : after.hosts) {
    if (!before.hosts.contains(address)) addresses.push_back(address);
  }
  std::sort(addresses.begin(), addresses.end());
  ScanDiff diff;
  for (const std::uint32_t address : addresses) {
    const ScannedHost* old_host = up_host(before, address);
    const ScannedHost* new_host = up_host(after, address);
    if (old_host == nullptr && new_host == nullptr) continue;
    diff_host(address, old_host, new_host, diff.changes);
  }
  return diff;
}

std::string diff_text(const ScanDiff& diff) {
  if (diff.changes.empty()) return "no differences\n";
  std::string text;
  for (const Change& change : diff.changes) {
    fmt::format_to(std::back_inserter(text), "{}: {}", to_string(change.kind),
                   net::Ipv4Address(change.address).to_string());
    if (change.port) {
      fmt::format_to(std::back_inserter(text), " {} ({} -> {})", port_text(change), change.from,
                     change.to);
    } else if (change.kind == ChangeKind::kSummaryChanged) {
      fmt::format_to(std::back_inserter(text), " ({} -> {})", change.from, change.to);
    }
    text += '\n';
  }
  return text;
}

std::string diff_json(const ScanDiff& diff) {
  std::string text = fmt::format("{{\"equal\":{},\"changes\":[",
                                 diff.result() == DiffResult::kEqual ? "true" : "false");
  bool first = true;
  for (const Change& change : diff.changes) {
    if (!first) text += ',';
    first = false;
    text += "{\"kind\":";
    detail::append_json_string(text, to_string(change.kind));
    text += ",\"ip\":";
    detail::append_json_string(text, net::Ipv4Address(change.address).to_string());
    text += ",\"port\":";
    detail::append_json_string(text, port_text(change));
    text += ",\"from\":";
    detail::append_json_string(text, change.from);
    text += ",\"to\":";
    detail::append_json_string(text, change.to);
    text += '}';
  }
  text += "]}\n";
  return text;
}

}  // namespace synscan::output
