// report: one self-contained HTML page for a saved scan (tools.hpp). Self-contained means the page
// works offline and from a mail attachment: inline CSS and script, no fonts, no links to fetch.
//
// The summary (totals, scan parameters, the service chart, top hosts, change counts) is plain
// HTML written here, so it shows even with scripts off. The per-address picture and the full
// results are drawn by the page's script (report_page.cpp) from one JSON block
// (report_data.cpp): a /16 scan has ~300,000 records, too many for a DOM table.
//
// Untrusted input: every string from a file goes through html_escaped() here, and through JSON
// escaping (with '<' as \u003c) into the data block, which the script renders with textContent.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "net/ipv4_address.hpp"
#include "net/port_ranges.hpp"
#include "format.hpp"
#include "output/service.hpp"
#include "output/tools.hpp"
#include "report_parts.hpp"

namespace synscan::output {
namespace {

constexpr std::size_t kChartBars = 20;
constexpr std::size_t kTopHosts = 20;
constexpr std::size_t kTopHostPortsListed = 12;
constexpr std::size_t kWarningsListed = 50;
constexpr int kCertificateWarningDays = 30;

constexpr PortState kStates[] = {PortState::kOpen, PortState::kClosed, PortState::kFiltered,
                                 PortState::kOpenFiltered};
constexpr Protocol kProtocols[] = {Protocol::kTcp, Protocol::kUdp};

// Element ids and CSS classes cannot hold the '|' of "open|filtered".
const char* state_id(PortState state) {
  switch (state) {
    case PortState::kOpen:
      return "open";
    case PortState::kClosed:
      return "closed";
    case PortState::kFiltered:
      return "filtered";
    case PortState::kOpenFiltered:
      return "open-filtered";
  }
  return "unknown";
}

std::size_t index_of(PortState state) { return static_cast<std::size_t>(state); }
std::size_t index_of(Protocol protocol) { return static_cast<std::size_t>(protocol); }

struct ServiceBar {
  std::uint64_t count = 0;
  std::string label;  // "22/tcp ssh"
  Protocol protocol = Protocol::kTcp;
};

struct ReportFacts {
  std::uint64_t by_protocol_state[2][4] = {};  // listed and summarised ports, up hosts only
  std::uint64_t hosts_up = 0;
  std::uint64_t silent_hosts = 0;    // in the file but never answered (JSON lines lists them)
  std::uint64_t silent_records = 0;  // their records
  std::uint64_t records = 0;         // every port record, silent hosts' included
  std::vector<ServiceBar> open_by_service;                             // count desc, label asc
  std::vector<std::pair<std::uint64_t, std::uint32_t>> open_by_host;  // count desc, address asc

  [[nodiscard]] std::uint64_t total(PortState state) const {
    return by_protocol_state[0][index_of(state)] + by_protocol_state[1][index_of(state)];
  }
};

void count_host(const ScannedHost& host, std::uint32_t address, ReportFacts& facts,
                std::map<std::pair<std::string, Protocol>, std::uint64_t>& services) {
  std::uint64_t open = 0;
  for (const ScannedPort& port : host.ports) {
    ++facts.by_protocol_state[index_of(port.result.protocol)][index_of(port.result.state)];
    if (port.result.state != PortState::kOpen) continue;
    ++open;
    const std::string service = detail::report_service_name(port);
    ++services[{fmt::format("{}/{}{}{}", port.result.port, to_string(port.result.protocol),
                            service.empty() ? "" : " ", service),
                port.result.protocol}];
  }
  // A summarised count carries no protocol; nmap summarises per host across both, and files
  // that summarise (old nmap XML, greppable) are TCP in practice.
  for (const CollapsedPorts& group : host.collapsed) {
    facts.by_protocol_state[index_of(Protocol::kTcp)][index_of(group.state)] += group.count;
  }
  if (open) facts.open_by_host.emplace_back(open, address);
}

ReportFacts facts_of(const ScanModel& scan) {
  ReportFacts facts;
  std::map<std::pair<std::string, Protocol>, std::uint64_t> services;
  for (const auto& [address, host] : scan.hosts) {
    facts.records += host.ports.size();
    if (!host.up) {
      ++facts.silent_hosts;
      facts.silent_records += host.ports.size();
      continue;
    }
    ++facts.hosts_up;
    count_host(host, address, facts, services);
  }
  for (const auto& [key, count] : services) {
    facts.open_by_service.push_back({count, key.first, key.second});
  }
  std::sort(facts.open_by_service.begin(), facts.open_by_service.end(),
            [](const ServiceBar& left, const ServiceBar& right) {
              return left.count != right.count ? left.count > right.count
                                               : left.label < right.label;
            });
  std::sort(facts.open_by_host.begin(), facts.open_by_host.end(),
            [](const auto& left, const auto& right) {
              return left.first != right.first ? left.first > right.first
                                               : left.second < right.second;
            });
  return facts;
}

template <typename... Arguments>
void append(std::string& page, fmt::format_string<Arguments...> format, Arguments&&... arguments) {
  fmt::format_to(std::back_inserter(page), format, std::forward<Arguments>(arguments)...);
}

// The run time: as the file states it (XML elapsed, greppable "scanned in"), else estimated
// from its whole-second start and end times (JSON lines: the first and last record's), else
// unknown. An estimate is shown as one, never with a measured value's decimals. JSON lines
// records carry the time of their answer, so their span falls short of the run by the first
// reply's delay and the final wait: a lower bound.
struct RunTime {
  double seconds = -1;  // < 0 unknown
  bool estimated = false;
  bool lower_bound = false;
};

RunTime run_time_of(const ScanModel& scan) {
  if (scan.elapsed_seconds >= 0) return {scan.elapsed_seconds, false, false};
  if (scan.start_time != 0 && scan.end_time > scan.start_time) {
    return {static_cast<double>(scan.end_time - scan.start_time), true,
            scan.format == ScanFileFormat::kJsonLines};
  }
  return {};
}

// Two significant digits, for rates derived from an estimated run time.
std::string rounded_text(double value) {
  const double magnitude = value >= 100 ? std::pow(10.0, std::floor(std::log10(value)) - 1) : 1;
  return fmt::format("{:.0f}", std::round(value / magnitude) * magnitude);
}

// What the rate counts, from the best the file states: address-port pairs (addresses and port
// lists stated; retries not counted), else addresses, else the records the file holds.
std::string rate_text(const ScanModel& scan, const ReportFacts& facts, const RunTime& time) {
  const std::uint64_t ports = scan.scanned_tcp_ports.size() + scan.scanned_udp_ports.size();
  std::uint64_t count = facts.records;
  std::string unit = "records", what = "records in the file";
  if (scan.hosts_total != 0 && ports != 0) {
    count = scan.hosts_total * ports;
    unit = "address-port pairs";
    what = "pairs, retries not counted";
  } else if (scan.hosts_total != 0) {
    count = scan.hosts_total;
    unit = "addresses";
    what = "addresses; the file lists no port set";
  }
  if (time.seconds <= 0) return fmt::format("unknown ({} {})", count, what);
  const double rate = static_cast<double>(count) / time.seconds;
  if (time.estimated) {
    return fmt::format("{}about {} {}/s ({} {})", time.lower_bound ? "at most " : "",
                       rounded_text(rate), unit, count, what);
  }
  return fmt::format("{:.0f} {}/s ({} {})", rate, unit, count, what);
}

std::string duration_text(const RunTime& time) {
  if (time.seconds < 0) return "unknown (the file states no run time)";
  if (time.lower_bound) {
    return fmt::format("at least about {:.0f} s (first to last record's whole-second time stamp)",
                       time.seconds);
  }
  if (time.estimated) {
    return fmt::format("about {:.0f} s (from the file's whole-second start and end times)",
                       time.seconds);
  }
  return detail::elapsed_text(time.seconds) + " s";
}

void append_parameters(std::string& page, const ScanModel& scan, const ReportFacts& facts) {
  page += "<table class=\"facts\" id=\"scan-facts\">";
  const auto row = [&page](std::string_view id, std::string_view name, const std::string& value) {
    append(page, "<tr><th>{}</th><td id=\"{}\">{}</td></tr>", name, id, html_escaped(value));
  };
  if (!scan.command_line.empty()) row("command", "command", scan.command_line);
  if (!scan.scanner.empty()) {
    row("scanner", "scanner",
        scan.scanner_version.empty() ? scan.scanner : scan.scanner + " " + scan.scanner_version);
  }
  if (scan.start_time != 0) {
    // JSON lines has no start time, only each record's.
    row("started", scan.format == ScanFileFormat::kJsonLines ? "first record" : "started",
        detail::ctime_text(scan.start_time));
  }
  row("hosts-scanned", "addresses scanned",
      scan.hosts_total ? std::to_string(scan.hosts_total) : "not stated in the file");
  if (!scan.scanned_tcp_ports.empty()) {
    row("tcp-ports", "TCP ports", net::format_port_ranges(scan.scanned_tcp_ports));
  }
  if (!scan.scanned_udp_ports.empty()) {
    row("udp-ports", "UDP ports", net::format_port_ranges(scan.scanned_udp_ports));
  }
  const RunTime time = run_time_of(scan);
  row("duration", "duration", duration_text(time));
  row("rate", "rate", rate_text(scan, facts, time));
  row("input-format", "input", std::string(to_string(scan.format)));
  page += "</table>\n";
}

// Addresses that never answered: scanned minus up when the file states the scanned count, else
// the silent hosts it lists (JSON lines); their probes as the file lists them or, from the
// scanned port lists, addresses x ports. {0, 0} when the file tells neither.
std::pair<std::uint64_t, std::uint64_t> unanswered_of(const ScanModel& scan,
                                                      const ReportFacts& facts) {
  const std::uint64_t addresses = scan.hosts_total > facts.hosts_up
                                      ? scan.hosts_total - facts.hosts_up
                                      : facts.silent_hosts;
  const std::uint64_t ports = scan.scanned_tcp_ports.size() + scan.scanned_udp_ports.size();
  return {addresses, facts.silent_records ? facts.silent_records : addresses * ports};
}

// What the reader skipped or doubted (IPv6 hosts, SCTP ports, conflicting records), so a page
// with fewer hosts than the file says why.
void append_warnings(std::string& page, const ScanModel& scan) {
  if (scan.warnings.empty()) return;
  append(page,
         "<details id=\"read-warnings\" data-count=\"{0}\"><summary>{0} warning(s) reading the "
         "file</summary><ul>",
         scan.warnings.size());
  for (std::size_t i = 0; i < std::min(scan.warnings.size(), kWarningsListed); ++i) {
    append(page, "<li>{}</li>", html_escaped(scan.warnings[i]));
  }
  if (scan.warnings.size() > kWarningsListed) {
    append(page, "<li>... {} more</li>", scan.warnings.size() - kWarningsListed);
  }
  page += "</ul></details>\n";
}

void append_totals(std::string& page, const ScanModel& scan, const ReportFacts& facts) {
  const auto [silent_addresses, silent_probes] = unanswered_of(scan, facts);
  page += "<div class=\"totals\">";
  append(page, "<div class=\"total\" id=\"hosts-up\"><b>{}</b>hosts up</div>", facts.hosts_up);
  if (silent_addresses) {
    append(page, "<div class=\"total\" id=\"hosts-silent\"><b>{}</b>addresses no answer</div>",
           silent_addresses);
  }
  for (const PortState state : kStates) {
    append(page, "<div class=\"total {0}\" id=\"total-{0}\"><b>{1}</b>{2}</div>", state_id(state),
           facts.total(state), html_escaped(to_string(state)));
  }
  page += "</div>\n<table class=\"by-protocol\" id=\"totals-by-protocol\"><tr><th></th>";
  for (const PortState state : kStates) append(page, "<th>{}</th>", to_string(state));
  page += "</tr>";
  for (const Protocol protocol : kProtocols) {
    append(page, "<tr><th>{}</th>", to_string(protocol));
    for (const PortState state : kStates) {
      append(page, "<td class=\"number\" id=\"{}-{}\">{}</td>", to_string(protocol),
             state_id(state), facts.by_protocol_state[index_of(protocol)][index_of(state)]);
    }
    page += "</tr>";
  }
  page += "</table>\n";
  if (silent_addresses) {
    append(page,
           "<p class=\"note\" id=\"silent-note\">Port totals count the hosts that are up, as nmap "
           "does. The {} addresses that never answered are not listed",
           silent_addresses);
    if (silent_probes) append(page, "; their {} address-port pairs got no reply", silent_probes);
    page += ".</p>\n";
  }
}

void append_chart(std::string& page, const ReportFacts& facts) {
  page += "<h2>Open ports by service</h2>\n";
  const std::size_t bars = std::min(facts.open_by_service.size(), kChartBars);
  if (bars == 0) {
    page += "<p class=\"note\">No open ports.</p>\n";
    return;
  }
  const double widest = static_cast<double>(facts.open_by_service.front().count);
  append(page,
         "<svg id=\"services-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" "
         "height=\"{}\" role=\"img\" aria-label=\"open ports by service\">",
         24 * bars + 8);
  for (std::size_t i = 0; i < bars; ++i) {
    const ServiceBar& bar = facts.open_by_service[i];
    const double width = 440.0 * static_cast<double>(bar.count) / widest;
    const std::size_t top = 24 * i;
    append(page,
           "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text>"
           "<rect x=\"240\" y=\"{}\" width=\"{:.1f}\" height=\"18\" fill=\"{}\"/>"
           "<text x=\"{:.1f}\" y=\"{}\" font-size=\"13\">{}</text>",
           top + 17, html_escaped(bar.label), top + 4, width,
           bar.protocol == Protocol::kTcp ? "#3b7dd8" : "#d8833b", 246 + width, top + 17,
           bar.count);
  }
  page += "</svg>\n<p class=\"note\">TCP blue, UDP orange.";
  if (facts.open_by_service.size() > bars) {
    append(page, " {} more services not charted.", facts.open_by_service.size() - bars);
  }
  page += "</p>\n";
}

std::string open_ports_text(const ScannedHost& host) {
  std::string text;
  std::size_t listed = 0;
  for (const ScannedPort& port : host.ports) {
    if (port.result.state != PortState::kOpen) continue;
    if (listed++ == kTopHostPortsListed) {
      text += ", ...";
      break;
    }
    if (!text.empty()) text += ", ";
    text += fmt::format("{}/{}", port.result.port, to_string(port.result.protocol));
  }
  return text;
}

void append_top_hosts(std::string& page, const ScanModel& scan, const ReportFacts& facts) {
  page +=
      "<h2>Hosts with the most open ports</h2>\n<table id=\"top-hosts\"><tr><th>host</th>"
      "<th>open ports</th><th>which</th></tr>\n";
  for (std::size_t i = 0; i < std::min(facts.open_by_host.size(), kTopHosts); ++i) {
    const auto& [count, address] = facts.open_by_host[i];
    append(page, "<tr><td>{}</td><td class=\"number\">{}</td><td>{}</td></tr>\n",
           net::Ipv4Address(address).to_string(), count, open_ports_text(scan.hosts.at(address)));
  }
  page += "</table>\n";
}

// --banners (or nmap -sV): the products found on open ports, most common first.
void append_products(std::string& page, const ScanModel& scan) {
  std::map<std::pair<std::string, std::string>, std::uint64_t> products;  // (product, version) -> ports
  for (const auto& [address, host] : scan.hosts) {
    for (const ScannedPort& port : host.ports) {
      if (port.result.state == PortState::kOpen && !port.product.empty()) ++products[{port.product, port.version}];
    }
  }
  if (products.empty()) return;
  std::vector<std::pair<std::uint64_t, std::pair<std::string, std::string>>> sorted;
  for (const auto& [product, count] : products) sorted.emplace_back(count, product);
  std::sort(sorted.begin(), sorted.end(), [](const auto& left, const auto& right) {
    return left.first != right.first ? left.first > right.first : left.second < right.second;
  });
  page += "<h2>Products on open ports</h2>\n<table id=\"products\"><tr><th>product</th><th>version</th>"
          "<th>open ports</th></tr>\n";
  for (std::size_t i = 0; i < std::min(sorted.size(), kChartBars); ++i) {
    append(page, "<tr><td>{}</td><td>{}</td><td class=\"number\">{}</td></tr>\n",
           html_escaped(sorted[i].second.first), html_escaped(sorted[i].second.second), sorted[i].first);
  }
  if (sorted.size() > kChartBars) append(page, "<tr><td colspan=\"3\">{} more</td></tr>\n", sorted.size() - kChartBars);
  page += "</table>\n";
}

// TLS certificates that expire within kCertificateWarningDays of the scan's end (or expired).
void append_expiring_certificates(std::string& page, const ScanModel& scan) {
  const std::time_t reference = scan.end_time != 0 ? scan.end_time : std::time(nullptr);
  std::vector<std::pair<std::time_t, std::string>> rows;  // (expiry, row)
  for (const auto& [address, host] : scan.hosts) {
    for (const ScannedPort& port : host.ports) {
      if (port.certificate_not_after == 0) continue;
      const double days = std::difftime(port.certificate_not_after, reference) / 86400.0;
      if (days > kCertificateWarningDays) continue;
      rows.emplace_back(port.certificate_not_after,
                        fmt::format("<tr><td>{}:{}</td><td>{}</td><td>{}</td><td class=\"number\">{:.0f}</td></tr>\n",
                                    net::Ipv4Address(address).to_string(), port.result.port,
                                    html_escaped(port.certificate_cn), utc_timestamp(port.certificate_not_after),
                                    std::floor(days)));
    }
  }
  append(page, "<h2>TLS certificates expiring within {} days</h2>\n", kCertificateWarningDays);
  if (rows.empty()) {
    page += "<p id=\"expiring-certificates\">None.</p>\n";
    return;
  }
  std::sort(rows.begin(), rows.end());
  page += "<table id=\"expiring-certificates\"><tr><th>host:port</th><th>subject CN</th><th>not valid after "
          "(UTC)</th><th>days left</th></tr>\n";
  for (std::size_t i = 0; i < std::min<std::size_t>(rows.size(), kTopHosts * 5); ++i) page += rows[i].second;
  if (rows.size() > kTopHosts * 5) append(page, "<tr><td colspan=\"4\">{} more</td></tr>\n", rows.size() - kTopHosts * 5);
  page += "</table>\n";
}

bool has_certificates(const ScanModel& scan) {
  for (const auto& [address, host] : scan.hosts) {
    for (const ScannedPort& port : host.ports) {
      if (port.certificate_not_after != 0) return true;
    }
  }
  return false;
}

void append_change_counts(std::string& page, const ScanDiff& diff, const std::string& baseline) {
  constexpr ChangeKind kKinds[] = {ChangeKind::kNewOpenPort,  ChangeKind::kNoLongerOpen,
                                   ChangeKind::kNewHost,      ChangeKind::kVanishedHost,
                                   ChangeKind::kStateChanged, ChangeKind::kSummaryChanged};
  std::uint64_t counts[std::size(kKinds)] = {};
  for (const Change& change : diff.changes) ++counts[static_cast<std::size_t>(change.kind)];
  append(page, "<h2>Changes since {}</h2>\n<div class=\"totals\" id=\"change-totals\">",
         html_escaped(baseline));
  for (const ChangeKind kind : kKinds) {
    std::string id = to_string(kind);
    std::replace(id.begin(), id.end(), ' ', '-');
    append(page, "<div class=\"total change-{0}\" id=\"changes-{0}\"><b>{1}</b>{2}</div>", id,
           counts[static_cast<std::size_t>(kind)], to_string(kind));
  }
  page += "</div>\n";
}

// The parts the script fills in: the address-space pictures and the virtual results table.
constexpr std::string_view kInteractiveParts = R"(<h2>Address space</h2>
<p class="note">One cell per address (per /24 when the scan spans many /16s): grey no answer,
blue answered with no open port, green open (darker = more open ports). Hover for the ports;
click to show that host in the table.</p>
<div id="grids" class="grids"></div>
<div id="change-grids-section" hidden><h2>Address space: changes</h2>
<p class="note">Green opened or new, red closed or gone, amber other state changes, purple both.</p>
<div id="change-grids" class="grids"></div>
<h2>All changes</h2><div id="changes-view" class="view"></div></div>
<div id="cell-info" class="cell-info" hidden></div>
<h2>All results</h2>
<form id="filters" class="filters" onsubmit="return false">
<label>state <select id="filter-state"><option value="">any</option><option>open</option>
<option>closed</option><option>filtered</option><option>open|filtered</option></select></label>
<label>protocol <select id="filter-proto"><option value="">any</option><option>tcp</option>
<option>udp</option></select></label>
<label>port <input id="filter-port" size="10" placeholder="22,80-90"></label>
<label>service <input id="filter-service" size="10"></label>
<label>subnet <input id="filter-subnet" size="16" placeholder="198.18.3.0/24"></label>
<label>search <input id="filter-q" size="16"></label>
<span id="results-count"></span></form>
<div id="results-view" class="view"></div>
<noscript><p>The address-space picture and the results table need JavaScript.</p></noscript>
)";

std::string report_page(const ScanModel& scan, const std::string& title, const ScanDiff* diff,
                        const std::string& baseline_title) {
  const ReportFacts facts = facts_of(scan);
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width\"><title>synscan report: ";
  page += html_escaped(title);
  page += "</title>\n<style>";
  page += detail::kReportStyle;
  page += "</style></head><body>\n<h1>synscan report: " + html_escaped(title) + "</h1>\n";
  append_totals(page, scan, facts);
  append_parameters(page, scan, facts);
  append_warnings(page, scan);
  if (diff != nullptr) append_change_counts(page, *diff, baseline_title);
  append_chart(page, facts);
  append_top_hosts(page, scan, facts);
  append_products(page, scan);
  if (has_certificates(scan)) append_expiring_certificates(page, scan);
  page += kInteractiveParts;
  page += "<script type=\"application/json\" id=\"report-data\">";
  page += detail::report_data_json(scan, diff);
  page += "</script>\n<script>";
  page += detail::kReportScript;
  page += "</script>\n</body></html>\n";
  return page;
}

}  // namespace

std::string html_escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char character : text) {
    switch (character) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += character;
    }
  }
  return out;
}

std::string html_report(const ScanModel& scan, const std::string& title) {
  return report_page(scan, title, nullptr, "");
}

std::string html_report(const ScanModel& scan, const std::string& title,
                        const ScanModel& baseline, const std::string& baseline_title) {
  const ScanDiff diff = diff_scans(baseline, scan);
  return report_page(scan, title, &diff, baseline_title);
}

}  // namespace synscan::output
