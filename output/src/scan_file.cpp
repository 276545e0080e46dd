// Saved scans (scan_file.hpp): format detection, the model's rules (duplicates, inferred reasons,
// times) and the entry points. One reader per format does the parsing: json_lines_reader.cpp,
// xml_reader.cpp, greppable_reader.cpp, sharing scan_file_fields.hpp.
#include "output/scan_file.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "net/ipv4_address.hpp"
#include "scan_file_fields.hpp"

namespace synscan::output {
namespace {

// Sorts ports, settles duplicates, and fills host and scan times from the records.
void finish_model(ScanModel& model) {
  for (auto& [address, host] : model.hosts) {
    normalise_ports(host, model.origin, model.warnings);
    for (ScannedPort& port : host.ports) {
      if (port.time == 0) port.time = host.end_time;
      detail::widen_times(host.start_time, host.end_time, port.time);
    }
    detail::widen_times(model.start_time, model.end_time, host.start_time);
    detail::widen_times(model.start_time, model.end_time, host.end_time);
  }
}

}  // namespace

const char* to_string(ScanFileFormat format) noexcept {
  switch (format) {
    case ScanFileFormat::kJsonLines:
      return "JSON lines";
    case ScanFileFormat::kXml:
      return "XML";
    case ScanFileFormat::kGreppable:
      return "greppable";
  }
  return "unknown";
}

std::uint64_t ScanModel::hosts_up() const noexcept {
  return static_cast<std::uint64_t>(
      std::count_if(hosts.begin(), hosts.end(), [](const auto& entry) { return entry.second.up; }));
}

Reason inferred_reason(Protocol protocol, PortState state) noexcept {
  switch (state) {
    case PortState::kOpen:
      return protocol == Protocol::kTcp ? Reason::kSynAck : Reason::kUdpResponse;
    case PortState::kClosed:
      return protocol == Protocol::kTcp ? Reason::kReset : Reason::kPortUnreach;
    case PortState::kFiltered:
    case PortState::kOpenFiltered:
      return Reason::kNoResponse;
  }
  return Reason::kNoResponse;
}

bool more_informative(const PortResult& candidate, const PortResult& kept) noexcept {
  // Rank: open > closed > filtered by an ICMP reply > no reply at all.
  const auto rank = [](const PortResult& result) {
    if (result.reason == Reason::kNoResponse) return 0;
    if (result.state == PortState::kOpen) return 3;
    if (result.state == PortState::kClosed) return 2;
    return 1;
  };
  return rank(candidate) > rank(kept);
}

void normalise_ports(ScannedHost& host, const std::string& origin,
                     std::vector<std::string>& warnings) {
  std::stable_sort(host.ports.begin(), host.ports.end(),
                   [](const ScannedPort& left, const ScannedPort& right) {
                     return std::pair(left.result.protocol, left.result.port) <
                            std::pair(right.result.protocol, right.result.port);
                   });
  std::vector<ScannedPort> unique;
  unique.reserve(host.ports.size());
  for (ScannedPort& port : host.ports) {
    if (unique.empty() || unique.back().result.protocol != port.result.protocol ||
        unique.back().result.port != port.result.port) {
      unique.push_back(std::move(port));
      continue;
    }
    ScannedPort& kept = unique.back();
    if (kept.result.state != port.result.state || kept.result.reason != port.result.reason) {
      const bool replace = more_informative(port.result, kept.result);
      const PortResult& winner = replace ? port.result : kept.result;
      warnings.push_back(origin + ": " + net::Ipv4Address(host.address).to_string() + " " +
                         std::to_string(port.result.port) + "/" + to_string(port.result.protocol) +
                         " is both " + to_string(kept.result.state) + " (" +
                         to_string(kept.result.reason) + ") and " + to_string(port.result.state) +
                         " (" + to_string(port.result.reason) + "); keeping " +
                         to_string(winner.state) + " (" + to_string(winner.reason) + ")");
      if (replace) kept = std::move(port);
    } else if (kept.service.empty()) {
      kept.service = std::move(port.service);
    }
  }
  host.ports = std::move(unique);
}

ScanFileFormat detect_scan_format(std::string_view text, const std::string& origin) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) detail::Location(origin, 0).fail("empty scan file");
  const std::string_view start = text.substr(first);
  if (start.front() == '{') return ScanFileFormat::kJsonLines;
  if (start.front() == '<') return ScanFileFormat::kXml;
  if (start.rfind("Host: ", 0) == 0 || start.rfind("# Nmap ", 0) == 0 ||
      start.rfind("# synscan ", 0) == 0) {
    return ScanFileFormat::kGreppable;
  }
  detail::Location(origin, 0).fail(
      "not a scan file synscan can read (expected synscan JSON lines, nmap/synscan XML or "
      "nmap greppable)");
}

ScanModel parse_scan(std::string_view text, const std::string& origin) {
  ScanModel model;
  model.origin = origin;
  model.format = detect_scan_format(text, origin);
  if (text.find('\0') != std::string_view::npos) {
    detail::Location(origin, 0).fail("binary data (NUL byte) in a text scan file");
  }
  switch (model.format) {
    case ScanFileFormat::kJsonLines:
      detail::read_json_lines(text, model);
      break;
    case ScanFileFormat::kXml:
      detail::read_xml(text, model);
      break;
    case ScanFileFormat::kGreppable:
      detail::read_greppable(text, model);
      break;
  }
  finish_model(model);
  return model;
}

ScanModel read_scan_file(const std::string& path) {
  std::ostringstream contents;
  if (path == "-") {
    contents << std::cin.rdbuf();
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw ScanFileError("cannot read scan file '" + path + "'");
    contents << file.rdbuf();
    if (file.bad()) throw ScanFileError("cannot read scan file '" + path + "'");
  }
  return parse_scan(contents.str(), path == "-" ? std::string("stdin") : path);
}

}  // namespace synscan::output
