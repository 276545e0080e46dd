#include "tools.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <cstring>
#include <memory>

#include "output/result.hpp"
#include "output/writers.hpp"
#include "scanner/errors.hpp"
#include "scanner/ports.hpp"
#include "scanner/targets.hpp"

namespace synscan::scanner {
namespace {

using output::PortResult;
using output::PortState;
using output::Protocol;
using output::Reason;

// ---------------------------------------------------------------------------------------------
// A saved scan in memory: per address, its port results. Read from synscan's JSON lines (the
// lossless format) or from XML written by synscan or nmap (ports listed one by one; ports nmap
// collapsed into <extraports> have no per-port record and are counted only).
// ---------------------------------------------------------------------------------------------
struct ScanModel {
  std::map<std::uint32_t, std::vector<PortResult>> hosts;
  std::time_t start = 0, end = 0;
  std::string args;
  std::uint64_t collapsed_ports = 0;  // nmap <extraports> counts that have no per-port records
  std::vector<std::uint16_t> scanned_tcp, scanned_udp;  // from XML <scaninfo>: what was probed
};

template <typename Enum, std::size_t Count>
std::optional<Enum> enum_from_text(std::string_view text) {
  for (std::size_t value = 0; value < Count; ++value) {
    if (text == output::to_string(static_cast<Enum>(value))) return static_cast<Enum>(value);
  }
  return std::nullopt;
}

// Value of "key":"text" or "key":number in one JSON object line (our writer's flat objects).
std::optional<std::string> json_field(std::string_view line, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\":";
  const std::size_t at = line.find(needle);
  if (at == std::string_view::npos) return std::nullopt;
  std::size_t position = at + needle.size();
  if (position < line.size() && line[position] == '"') {
    std::string value;
    for (++position; position < line.size() && line[position] != '"'; ++position) {
      if (line[position] == '\\' && position + 1 < line.size()) ++position;
      value += line[position];
    }
    return value;
  }
  const std::size_t stop = line.find_first_of(",}", position);
  return std::string(line.substr(position, stop - position));
}

// Value of attribute `name` in an XML start tag.
std::optional<std::string> xml_attribute(std::string_view tag, std::string_view name) {
  const std::string needle = " " + std::string(name) + "=\"";
  const std::size_t at = tag.find(needle);
  if (at == std::string_view::npos) return std::nullopt;
  const std::size_t start = at + needle.size();
  const std::size_t stop = tag.find('"', start);
  if (stop == std::string_view::npos) return std::nullopt;
  std::string value(tag.substr(start, stop - start));
  // The only entities that can appear in the attributes we read.
  for (const auto& [entity, text] : {std::pair{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}}) {
    for (std::size_t found; (found = value.find(entity)) != std::string::npos;) value.replace(found, std::strlen(entity), text);
  }
  return value;
}

[[noreturn]] void bad_input(const std::string& path, std::size_t line, const std::string& why) {
  throw UsageError(path + (line ? ":" + std::to_string(line) : "") + ": " + why);
}

PortResult make_result(const std::string& path, std::size_t line, const std::string& port,
                       const std::string& protocol, const std::string& state, const std::string& reason,
                       const std::string& ttl) {
  PortResult result;
  unsigned long number = 0;
  try {
    number = std::stoul(port);
  } catch (const std::exception&) {
    bad_input(path, line, "bad port '" + port + "'");
  }
  if (number > 65535) bad_input(path, line, "bad port '" + port + "'");
  result.port = static_cast<std::uint16_t>(number);
  const auto parsed_protocol = enum_from_text<Protocol, 2>(protocol);
  const auto parsed_state = enum_from_text<PortState, 4>(state);
  const auto parsed_reason = enum_from_text<Reason, output::kReasonCount>(reason);
  if (!parsed_protocol) bad_input(path, line, "unknown protocol '" + protocol + "'");
  if (!parsed_state) bad_input(path, line, "unknown state '" + state + "'");
  result.protocol = *parsed_protocol;
  result.state = *parsed_state;
  // nmap has reasons synscan never produces (e.g. "conn-refused"): keep the state, say no-response.
  result.reason = parsed_reason.value_or(Reason::kNoResponse);
  result.reason_ttl = static_cast<std::uint8_t>(std::min(255ul, ttl.empty() ? 0ul : std::stoul(ttl)));
  return result;
}

std::uint32_t address_of(const std::string& path, std::size_t line, const std::string& text) {
  const auto address = parse_ipv4(text);
  if (!address) bad_input(path, line, "bad IPv4 address '" + text + "'");
  return *address;
}

void read_json_lines(const std::string& path, std::istream& in, ScanModel& model) {
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto ip = json_field(line, "ip"), port = json_field(line, "port"), proto = json_field(line, "proto"),
               state = json_field(line, "state"), reason = json_field(line, "reason");
    if (!ip || !port || !proto || !state || !reason) bad_input(path, number, "not a synscan JSON lines record");
    const std::uint32_t address = address_of(path, number, *ip);
    model.hosts[address].push_back(
        make_result(path, number, *port, *proto, *state, *reason, json_field(line, "ttl").value_or("0")));
    if (const auto when = json_field(line, "time")) {
      const std::time_t time = static_cast<std::time_t>(std::stoll(*when));
      model.start = model.start ? std::min(model.start, time) : time;
      model.end = std::max(model.end, time);
    }
  }
}

void read_xml(const std::string& path, const std::string& text, ScanModel& model) {
  if (text.find("<nmaprun") == std::string::npos) bad_input(path, 0, "not nmap/synscan XML (no <nmaprun>)");
  const std::size_t run = text.find("<nmaprun");
  const std::string_view run_tag(text.data() + run, text.find('>', run) - run);
  model.args = xml_attribute(run_tag, "args").value_or("");
  for (std::size_t at = text.find("<scaninfo "); at != std::string::npos; at = text.find("<scaninfo ", at + 1)) {
    const std::string_view tag(text.data() + at, text.find('>', at) - at);
    const std::string services = xml_attribute(tag, "services").value_or("");
    if (services.empty()) continue;
    try {
      if (xml_attribute(tag, "protocol").value_or("") == "udp") {
        model.scanned_udp = parse_port_spec(services, false, true).udp;
      } else {
        model.scanned_tcp = parse_port_spec(services, true, false).tcp;
      }
    } catch (const UsageError&) {
      bad_input(path, 0, "bad scaninfo services '" + services + "'");
    }
  }
  if (const auto start = xml_attribute(run_tag, "start")) model.start = std::stoll(*start);
  for (std::size_t host = text.find("<host"); host != std::string::npos; host = text.find("<host", host + 1)) {
    if (text.compare(host, 10, "<hostnames") == 0 || text.compare(host, 7, "<hosts ") == 0 ||
        text.compare(host, 7, "<hosths") == 0 || text.compare(host, 11, "<hosthint") == 0) {
      continue;
    }
    const std::size_t host_end = text.find("</host>", host);
    if (host_end == std::string::npos) bad_input(path, 0, "unterminated <host>");
    const std::string_view body(text.data() + host, host_end - host);
    const std::size_t status = body.find("<status ");
    if (status != std::string_view::npos &&
        xml_attribute(body.substr(status, body.find('>', status) - status), "state").value_or("up") != "up") {
      continue;
    }
    std::optional<std::uint32_t> address;
    for (std::size_t at = body.find("<address "); at != std::string_view::npos; at = body.find("<address ", at + 1)) {
      const std::string_view tag = body.substr(at, body.find('>', at) - at);
      if (xml_attribute(tag, "addrtype").value_or("ipv4") == "ipv4") {
        address = address_of(path, 0, xml_attribute(tag, "addr").value_or(""));
      }
    }
    if (!address) continue;  // IPv6 / MAC-only hosts: not synscan's
    std::vector<PortResult>& ports = model.hosts[*address];
    for (std::size_t at = body.find("<port "); at != std::string_view::npos; at = body.find("<port ", at + 1)) {
      const std::size_t port_end = body.find("</port>", at);
      const std::string_view port_body = body.substr(at, port_end - at);
      const std::string_view port_tag = port_body.substr(0, port_body.find('>'));
      const std::size_t state_at = port_body.find("<state ");
      if (state_at == std::string_view::npos) bad_input(path, 0, "<port> without <state>");
      const std::string_view state_tag = port_body.substr(state_at, port_body.find('>', state_at) - state_at);
      ports.push_back(make_result(path, 0, xml_attribute(port_tag, "portid").value_or(""),
                                  xml_attribute(port_tag, "protocol").value_or(""),
                                  xml_attribute(state_tag, "state").value_or(""),
                                  xml_attribute(state_tag, "reason").value_or(""),
                                  xml_attribute(state_tag, "reason_ttl").value_or("0")));
    }
    for (std::size_t at = body.find("<extraports "); at != std::string_view::npos; at = body.find("<extraports ", at + 1)) {
      model.collapsed_ports += std::stoull(xml_attribute(body.substr(at, body.find('>', at) - at), "count").value_or("0"));
    }
  }
  if (const std::size_t finished = text.find("<finished "); finished != std::string::npos) {
    model.end = std::stoll(xml_attribute(std::string_view(text).substr(finished, text.find('>', finished) - finished), "time")
                               .value_or("0"));
  }
}

// A reply beats silence: when two files disagree about a port, the answered result wins.
bool more_informative(const PortResult& candidate, const PortResult& kept) {
  return kept.reason == Reason::kNoResponse && candidate.reason != Reason::kNoResponse;
}

void normalise(ScanModel& model, const std::string& origin) {
  for (auto& [address, ports] : model.hosts) {
    std::stable_sort(ports.begin(), ports.end(), [](const PortResult& a, const PortResult& b) {
      return std::pair(a.protocol, a.port) < std::pair(b.protocol, b.port);
    });
    std::vector<PortResult> unique;
    for (const PortResult& port : ports) {
      if (!unique.empty() && unique.back().protocol == port.protocol && unique.back().port == port.port) {
        if (unique.back().state != port.state || unique.back().reason != port.reason) {
          std::cerr << "synscan: warning: " << origin << ": " << format_ipv4(address) << " " << port.port << "/"
                    << output::to_string(port.protocol) << " is both " << output::to_string(unique.back().state)
                    << " and " << output::to_string(port.state) << "; keeping the answered one\n";
        }
        if (more_informative(port, unique.back())) unique.back() = port;
        continue;
      }
      unique.push_back(port);
    }
    ports = std::move(unique);
  }
}

ScanModel read_scan(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw RuntimeError("cannot read scan file '" + path + "'");
  std::ostringstream contents;
  contents << file.rdbuf();
  const std::string text = contents.str();
  ScanModel model;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) bad_input(path, 0, "empty file");
  if (text[first] == '{') {
    std::istringstream in(text);
    read_json_lines(path, in, model);
  } else if (text[first] == '<') {
    read_xml(path, text, model);
  } else {
    bad_input(path, 0, "neither synscan JSON lines nor nmap XML");
  }
  normalise(model, path);
  return model;
}

// ---------------------------------------------------------------------------------------------
// Writing a model through the scan's own writers.
// ---------------------------------------------------------------------------------------------
struct OutputSpec {
  output::Format format;
  std::string path;
};

std::vector<OutputSpec> parse_outputs(std::vector<std::string>& arguments) {
  std::vector<OutputSpec> outputs;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    const bool all = argument == "-oA";
    const output::FormatInfo* single = nullptr;
    for (const output::FormatInfo& info : output::kFormats) {
      if (argument == std::string("-") + info.option) single = &info;
    }
    if (!single && !all) {
      rest.push_back(argument);
      continue;
    }
    if (i + 1 >= arguments.size()) throw UsageError(argument + " needs a file name");
    const std::string path = arguments[++i];
    if (all) {
      for (const output::FormatInfo& info : output::kFormats) outputs.push_back({info.format, path + info.extension});
    } else {
      outputs.push_back({single->format, path});
    }
  }
  arguments = std::move(rest);
  return outputs;
}

void write_model(const ScanModel& model, const std::vector<OutputSpec>& outputs, const std::string& command) {
  std::vector<std::unique_ptr<output::ResultWriter>> writers;
  for (const OutputSpec& spec : outputs) {
    writers.push_back(output::make_writer(spec.format, std::make_unique<output::OutputFile>(spec.path)));
  }
  output::ScanInfo info;
  info.scanner_version = SYNSCAN_VERSION;
  info.command_line = command;
  info.start_time = model.start ? model.start : std::time(nullptr);
  std::vector<std::uint16_t> tcp, udp;
  for (const auto& [address, ports] : model.hosts) {
    for (const PortResult& port : ports) (port.protocol == Protocol::kTcp ? tcp : udp).push_back(port.port);
  }
  for (auto* list : {&tcp, &udp}) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
  }
  info.tcp_ports = tcp;
  info.udp_ports = udp;
  for (auto& writer : writers) writer->begin(info);
  std::uint64_t up = 0;
  for (const auto& [address, ports] : model.hosts) {
    for (const PortResult& port : ports) {
      for (auto& writer : writers) writer->port_result(address, port, model.end ? model.end : info.start_time);
    }
    if (!output::host_is_up(ports)) continue;
    ++up;
    const output::HostResult host{address, ports, info.start_time, model.end ? model.end : info.start_time};
    for (auto& writer : writers) writer->host(host);
  }
  output::ScanSummary summary;
  summary.end_time = model.end ? model.end : info.start_time;
  summary.elapsed_seconds = static_cast<double>(summary.end_time - info.start_time);
  summary.hosts_total = model.hosts.size();
  summary.hosts_up = up;
  for (auto& writer : writers) writer->finish(summary);
}

std::string joined(const std::string& name, const std::vector<std::string>& arguments) {
  std::string text = "synscan " + name;
  for (const std::string& argument : arguments) text += " " + argument;
  return text;
}

int merge_or_convert(const std::string& name, std::vector<std::string> arguments) {
  const std::string command = joined(name, arguments);
  const std::vector<OutputSpec> outputs = parse_outputs(arguments);
  if (outputs.empty()) throw UsageError(name + " needs at least one of -oX/-oG/-oJ/-oA FILE");
  if (arguments.empty()) throw UsageError(name + " needs input scan files");
  if (name == "convert" && arguments.size() != 1) throw UsageError("convert takes one input file; use merge for several");
  ScanModel merged;
  std::set<std::pair<Protocol, std::uint16_t>> xml_scanned;  // ports the XML inputs say were probed
  for (const std::string& path : arguments) {
    if (!path.empty() && path[0] == '-') throw UsageError("unknown option '" + path + "'");
    ScanModel part = read_scan(path);
    for (auto& [address, ports] : part.hosts) {
      auto& into = merged.hosts[address];
      into.insert(into.end(), ports.begin(), ports.end());
    }
    if (part.start) merged.start = merged.start ? std::min(merged.start, part.start) : part.start;
    merged.end = std::max(merged.end, part.end);
    merged.collapsed_ports += part.collapsed_ports;
    for (std::uint16_t port : part.scanned_tcp) xml_scanned.emplace(Protocol::kTcp, port);
    for (std::uint16_t port : part.scanned_udp) xml_scanned.emplace(Protocol::kUdp, port);
  }
  normalise(merged, "merged input");
  if (!xml_scanned.empty() && merged.collapsed_ports == 0) {
    // XML leaves out hosts that answered nothing. A shard's XML therefore lacks the unanswered
    // ports of a host that was silent in that shard but answered in another: every scanned port an
    // up host lacks got no response (filtered for TCP, open|filtered for UDP).
    for (auto& [address, ports] : merged.hosts) {
      if (!output::host_is_up(ports)) continue;
      for (const auto& scanned : xml_scanned) {
        const auto [protocol, port] = scanned;
        const bool present = std::any_of(ports.begin(), ports.end(), [&](const PortResult& result) {
          return result.protocol == scanned.first && result.port == scanned.second;
        });
        if (present) continue;
        PortResult silent;
        silent.port = port;
        silent.protocol = protocol;
        silent.reason = Reason::kNoResponse;
        silent.state = protocol == Protocol::kUdp ? PortState::kOpenFiltered : PortState::kFiltered;
        ports.push_back(silent);
      }
    }
    normalise(merged, "merged input");
  }
  if (merged.collapsed_ports) {
    std::cerr << "synscan: warning: " << merged.collapsed_ports
              << " ports were collapsed into <extraports> in the input and have no per-port record\n";
  }
  write_model(merged, outputs, command);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// diff
// ---------------------------------------------------------------------------------------------
std::string port_name(const PortResult& port) {
  return std::to_string(port.port) + "/" + output::to_string(port.protocol);
}

std::string json_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

int diff(std::vector<std::string> arguments) {
  bool json = false;
  std::erase_if(arguments, [&](const std::string& argument) { return argument == "--json" && (json = true); });
  if (arguments.size() != 2) throw UsageError("usage: synscan diff OLD NEW [--json]");
  const ScanModel before = read_scan(arguments[0]), after = read_scan(arguments[1]);
  struct Change {
    std::string kind, address, port, from, to;
  };
  std::vector<Change> changes;
  const auto up = [](const ScanModel& model, std::uint32_t address) {
    const auto it = model.hosts.find(address);
    return it != model.hosts.end() && output::host_is_up(it->second);
  };
  std::vector<std::uint32_t> addresses;
  for (const auto& [address, ports] : before.hosts) addresses.push_back(address);
  for (const auto& [address, ports] : after.hosts) addresses.push_back(address);
  std::sort(addresses.begin(), addresses.end());
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  for (std::uint32_t address : addresses) {
    const std::string text = format_ipv4(address);
    const bool was_up = up(before, address), is_up = up(after, address);
    // A host that answered nothing has no port facts (nmap XML omits it entirely): only hosts up
    // on both sides are compared port by port; one that appeared or vanished is reported once,
    // with the open ports it gained or lost.
    if (!was_up && !is_up) continue;
    if (!was_up || !is_up) {
      changes.push_back({was_up ? "vanished host" : "new host", text, "", was_up ? "up" : "", is_up ? "up" : ""});
      const ScanModel& side = is_up ? after : before;
      for (const PortResult& port : side.hosts.at(address)) {
        if (port.state != PortState::kOpen) continue;
        changes.push_back({is_up ? "new open port" : "no longer open", text, port_name(port),
                           is_up ? "host down" : "open", is_up ? "open" : "host down"});
      }
      continue;
    }
    std::map<std::pair<Protocol, std::uint16_t>, std::pair<std::optional<PortResult>, std::optional<PortResult>>> ports;
    if (auto it = before.hosts.find(address); it != before.hosts.end()) {
      for (const PortResult& port : it->second) ports[{port.protocol, port.port}].first = port;
    }
    if (auto it = after.hosts.find(address); it != after.hosts.end()) {
      for (const PortResult& port : it->second) ports[{port.protocol, port.port}].second = port;
    }
    for (const auto& [key, pair] : ports) {
      const auto& [old_result, new_result] = pair;
      const std::string from = old_result ? output::to_string(old_result->state) : "";
      const std::string to = new_result ? output::to_string(new_result->state) : "";
      if (from == to) continue;
      const std::string name = port_name(old_result ? *old_result : *new_result);
      const char* kind = to == "open" ? "new open port" : from == "open" ? "no longer open" : "state changed";
      changes.push_back({kind, text, name, from.empty() ? "not scanned" : from, to.empty() ? "not scanned" : to});
    }
  }
  if (json) {
    std::cout << "{\"equal\":" << (changes.empty() ? "true" : "false") << ",\"changes\":[";
    for (std::size_t i = 0; i < changes.size(); ++i) {
      const Change& change = changes[i];
      std::cout << (i ? "," : "") << "{\"kind\":\"" << change.kind << "\",\"ip\":\"" << change.address << "\",\"port\":\""
                << json_escape(change.port) << "\",\"from\":\"" << change.from << "\",\"to\":\"" << change.to << "\"}";
    }
    std::cout << "]}\n";
  } else if (changes.empty()) {
    std::cout << "no differences\n";
  } else {
    for (const Change& change : changes) {
      std::cout << change.kind << ": " << change.address << (change.port.empty() ? "" : " " + change.port);
      if (!change.port.empty()) std::cout << " (" << change.from << " -> " << change.to << ")";
      std::cout << '\n';
    }
  }
  return changes.empty() ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// report: one self-contained HTML page (inline CSS and SVG, no external resources).
// ---------------------------------------------------------------------------------------------
std::string html(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

int report(std::vector<std::string> arguments) {
  std::string output_path;
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i] == "-o") {
      if (i + 1 >= arguments.size()) throw UsageError("-o needs a file name");
      output_path = arguments[++i];
    } else {
      inputs.push_back(arguments[i]);
    }
  }
  if (inputs.size() != 1 || output_path.empty()) throw UsageError("usage: synscan report SCAN -o report.html");
  const ScanModel model = read_scan(inputs[0]);
  std::uint64_t by_state[4] = {}, hosts_up = 0;
  std::map<std::string, std::uint64_t> open_by_service;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> open_per_host;
  for (const auto& [address, ports] : model.hosts) {
    if (output::host_is_up(ports)) ++hosts_up;
    std::uint64_t open = 0;
    for (const PortResult& port : ports) {
      ++by_state[static_cast<int>(port.state)];
      if (port.state != PortState::kOpen) continue;
      ++open;
      const std::string service = output::service_name(port.protocol, port.port);
      ++open_by_service[port_name(port) + (service.empty() ? "" : " " + service)];
    }
    if (open) open_per_host.emplace_back(open, address);
  }
  std::sort(open_per_host.begin(), open_per_host.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::pair<std::uint64_t, std::string>> services;
  for (const auto& [name, count] : open_by_service) services.emplace_back(count, name);
  std::sort(services.begin(), services.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });

  std::ostringstream page;
  page << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>synscan report</title>\n"
       << "<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.4em}"
          ".totals{display:flex;gap:1em}.total{border:1px solid #ccc;border-radius:6px;padding:.6em 1em}"
          ".total b{display:block;font-size:1.6em}table{border-collapse:collapse;margin:1em 0}"
          "td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}th{background:#f3f3f3}"
          ".open{color:#0a7b24}.closed{color:#a33}.filtered{color:#886}</style></head><body>\n";
  page << "<h1>synscan report</h1>\n<p>" << html(inputs[0]);
  if (!model.args.empty()) page << " &mdash; <code>" << html(model.args) << "</code>";
  page << "</p>\n<div class=\"totals\">";
  page << "<div class=\"total\" id=\"hosts-up\"><b>" << hosts_up << "</b>hosts up</div>";
  const char* ids[4] = {"open", "closed", "filtered", "open-filtered"};
  for (int state = 0; state < 4; ++state) {
    page << "<div class=\"total\" id=\"total-" << ids[state] << "\"><b>" << by_state[state] << "</b>"
         << html(output::to_string(static_cast<PortState>(state))) << "</div>";
  }
  page << "</div>\n<h2>Open ports by service</h2>\n";
  const std::size_t bars = std::min<std::size_t>(services.size(), 20);
  const std::uint64_t widest = services.empty() ? 1 : services.front().first;
  page << "<svg id=\"services-chart\" width=\"720\" height=\"" << 24 * bars + 10 << "\" role=\"img\">";
  for (std::size_t i = 0; i < bars; ++i) {
    const double width = 440.0 * static_cast<double>(services[i].first) / static_cast<double>(widest);
    page << "<text x=\"0\" y=\"" << 24 * i + 17 << "\" font-size=\"13\">" << html(services[i].second) << "</text>"
         << "<rect x=\"200\" y=\"" << 24 * i + 4 << "\" width=\"" << width << "\" height=\"18\" fill=\"#3b7dd8\"/>"
         << "<text x=\"" << 206 + width << "\" y=\"" << 24 * i + 17 << "\" font-size=\"13\">" << services[i].first
         << "</text>";
  }
  page << "</svg>\n<h2>Hosts with the most open ports</h2>\n<table id=\"top-hosts\"><tr><th>host</th><th>open ports</th></tr>";
  for (std::size_t i = 0; i < std::min<std::size_t>(open_per_host.size(), 20); ++i) {
    page << "<tr><td>" << format_ipv4(open_per_host[i].second) << "</td><td>" << open_per_host[i].first << "</td></tr>";
  }
  page << "</table>\n<h2>All results</h2>\n<table id=\"results\"><tr><th>host</th><th>port</th><th>state</th>"
          "<th>reason</th><th>service</th></tr>\n";
  for (const auto& [address, ports] : model.hosts) {
    for (const PortResult& port : ports) {
      const std::string state = output::to_string(port.state);
      page << "<tr><td>" << format_ipv4(address) << "</td><td>" << port_name(port) << "</td><td class=\""
           << (port.state == PortState::kOpen ? "open" : port.state == PortState::kClosed ? "closed" : "filtered")
           << "\">" << html(state) << "</td><td>" << output::to_string(port.reason) << "</td><td>"
           << html(output::service_name(port.protocol, port.port)) << "</td></tr>\n";
    }
  }
  page << "</table>\n</body></html>\n";
  output::OutputFile file(output_path);
  file.write(page.str());
  file.flush();
  return 0;
}

}  // namespace

bool is_tool(const std::string& name) {
  return name == "merge" || name == "convert" || name == "diff" || name == "report";
}

constexpr const char* kToolUsage[][2] = {
    {"merge", "Usage: synscan merge SCAN... (-oX|-oG|-oJ FILE | -oA BASE)...\n"
              "Combines scans (shards, resumed parts; JSON lines or XML) into one.\n"},
    {"convert", "Usage: synscan convert SCAN (-oX|-oG|-oJ FILE | -oA BASE)...\n"
                "Rewrites a scan in other formats (JSON lines is the lossless one).\n"},
    {"diff", "Usage: synscan diff OLD NEW [--json]\n"
             "New/lost open ports, state changes, new/vanished hosts. Exit 0 equal, 1 different, 2 error.\n"},
    {"report", "Usage: synscan report SCAN -o report.html\nA self-contained HTML report.\n"},
};

int run_tool(const std::string& name, const std::vector<std::string>& arguments) {
  if (std::find(arguments.begin(), arguments.end(), "--help") != arguments.end() ||
      std::find(arguments.begin(), arguments.end(), "-h") != arguments.end()) {
    for (const auto& [tool, usage] : kToolUsage) {
      if (name == tool) std::cout << usage;
    }
    return 0;
  }
  try {
    if (name == "diff") return diff(arguments);
    if (name == "report") return report(arguments);
    return merge_or_convert(name, arguments);
  } catch (const UsageError& error) {
    std::cerr << "synscan: error: " << error.what() << "\n";
    return name == "diff" ? 2 : 1;
  } catch (const std::exception& error) {
    std::cerr << "synscan: error: " << error.what() << "\n";
    return 2;
  }
}

}  // namespace synscan::scanner
