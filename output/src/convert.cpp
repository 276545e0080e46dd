// convert: a saved scan written again through the scan's own writers (tools.hpp), so converted
// files are exactly the formats a live scan produces: one formatting code path, not two.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>

#include "net/ipv4_address.hpp"
#include "format.hpp"
#include "output/tools.hpp"

namespace synscan::output {

ServiceLookup scan_service_lookup(const ScanModel& scan, ServiceLookup fallback) {
  auto names = std::make_shared<std::map<std::pair<Protocol, std::uint16_t>, std::string>>();
  for (const auto& [address, host] : scan.hosts) {
    for (const ScannedPort& port : host.ports) {
      if (!port.service.empty()) {
        names->try_emplace({port.result.protocol, port.result.port}, port.service);
      }
    }
  }
  if (!fallback) fallback = &service_name_view;
  // The map is shared with the lookup, so the views it returns live as long as any writer.
  return [names, fallback = std::move(fallback)](Protocol protocol,
                                                 std::uint16_t port) -> std::string_view {
    const auto found = names->find({protocol, port});
    return found != names->end() ? std::string_view(found->second) : fallback(protocol, port);
  };
}

ScanInfo scan_info_of(const ScanModel& scan, const ConvertOptions& options) {
  ScanInfo info;
  info.scanner_version = options.scanner_version;
  info.command_line = scan.command_line.empty() ? options.fallback_command_line : scan.command_line;
  info.start_time = scan.start_time;
  info.tcp_ports = scan.scanned_tcp_ports;
  info.udp_ports = scan.scanned_udp_ports;
  if (info.tcp_ports.empty() && info.udp_ports.empty()) {
    for (const auto& [address, host] : scan.hosts) {
      for (const ScannedPort& port : host.ports) {
        (port.result.protocol == Protocol::kTcp ? info.tcp_ports : info.udp_ports)
            .push_back(port.result.port);
      }
    }
    for (auto* ports : {&info.tcp_ports, &info.udp_ports}) {
      std::sort(ports->begin(), ports->end());
      ports->erase(std::unique(ports->begin(), ports->end()), ports->end());
    }
  }
  return info;
}

std::vector<std::string> write_scan(const ScanModel& scan,
                                    const std::vector<ResultWriter*>& writers,
                                    const ConvertOptions& options) {
  std::vector<std::string> warnings;
  const ScanInfo info = scan_info_of(scan, options);
  for (ResultWriter* writer : writers) writer->begin(info);
  std::time_t last_time = scan.end_time;
  std::vector<PortResult> results;
  for (const auto& [address, host] : scan.hosts) {
    results.clear();
    for (const ScannedPort& port : host.ports) {
      results.push_back(port.result);
      for (ResultWriter* writer : writers) writer->port_result(address, port.result, port.time);
    }
    if (host.up) {
      const HostResult record{address, results, host.start_time, host.end_time};
      for (ResultWriter* writer : writers) writer->host(record);
    }
    std::uint64_t unlisted = 0;
    for (const CollapsedPorts& group : host.collapsed) unlisted += group.count;
    if (unlisted) {
      warnings.push_back(fmt::format(
          "{}: {} port(s) of {} were summarised in the input without a port list and are not in "
          "the output",
          scan.origin, unlisted, net::Ipv4Address(address).to_string()));
    }
    last_time = std::max(last_time, host.end_time);
  }
  ScanSummary summary;
  summary.end_time = last_time ? last_time : scan.start_time;
  // A run time the input did not state stays unknown: its whole-second time stamps give at best
  // an estimate, which the writers would otherwise state as a measured "11.00 seconds". The
  // start and end times still go out, so a reader can estimate from them.
  summary.elapsed_seconds = scan.elapsed_seconds;
  summary.hosts_up = scan.hosts_up();
  summary.hosts_total = std::max<std::uint64_t>(scan.hosts_total, scan.hosts.size());
  for (ResultWriter* writer : writers) writer->finish(summary);
  return warnings;
}

std::vector<std::string> write_scan_files(const ScanModel& scan,
                                          const std::vector<OutputTarget>& targets,
                                          const ConvertOptions& options) {
  const ServiceLookup services = scan_service_lookup(scan, options.fallback_services);
  std::vector<std::unique_ptr<ResultWriter>> owned;
  std::vector<ResultWriter*> writers;
  for (const OutputTarget& target : targets) {
    owned.push_back(
        make_writer(target.format, std::make_unique<OutputFile>(target.path), services));
    writers.push_back(owned.back().get());
  }
  return write_scan(scan, writers, options);
}

}  // namespace synscan::output
