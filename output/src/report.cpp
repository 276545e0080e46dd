// report: one self-contained HTML page for a saved scan (tools.hpp). Self-contained means the page
// works offline and from a mail attachment: inline CSS, an inline SVG chart, no scripts, no fonts,
// no external links. Every string that came from a file goes through html_escaped(): scan files
// are untrusted input (service names and args are free text).
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "format.hpp"
#include "output/tools.hpp"

namespace synscan::output {
namespace {

constexpr std::size_t kChartBars = 20;
constexpr std::size_t kTopHosts = 20;

constexpr PortState kStates[] = {PortState::kOpen, PortState::kClosed, PortState::kFiltered,
                                 PortState::kOpenFiltered};

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

std::string service_of(const ScannedPort& port) {
  return port.service.empty()
             ? std::string(service_name_view(port.result.protocol, port.result.port))
             : port.service;
}

struct ReportFacts {
  std::uint64_t by_state[4] = {};
  std::uint64_t hosts_up = 0;
  std::uint64_t silent_hosts = 0;  // in the file but never answered (JSON lines lists them)
  std::vector<std::pair<std::uint64_t, std::string>> open_by_service;  // count desc, name asc
  std::vector<std::pair<std::uint64_t, std::uint32_t>> open_by_host;   // count desc, address asc
};

ReportFacts facts_of(const ScanModel& scan) {
  ReportFacts facts;
  std::map<std::string, std::uint64_t> services;
  for (const auto& [address, host] : scan.hosts) {
    if (!host.up) {
      ++facts.silent_hosts;
      continue;
    }
    ++facts.hosts_up;
    std::uint64_t open = 0;
    for (const ScannedPort& port : host.ports) {
      ++facts.by_state[static_cast<std::size_t>(port.result.state)];
      if (port.result.state != PortState::kOpen) continue;
      ++open;
      const std::string service = service_of(port);
      ++services[fmt::format("{}/{}{}{}", port.result.port, to_string(port.result.protocol),
                             service.empty() ? "" : " ", service)];
    }
    for (const CollapsedPorts& group : host.collapsed) {
      facts.by_state[static_cast<std::size_t>(group.state)] += group.count;
    }
    if (open) facts.open_by_host.emplace_back(open, address);
  }
  for (const auto& [name, count] : services) facts.open_by_service.emplace_back(count, name);
  const auto most_first = [](const auto& left, const auto& right) {
    return left.first != right.first ? left.first > right.first : left.second < right.second;
  };
  std::sort(facts.open_by_service.begin(), facts.open_by_service.end(), most_first);
  std::sort(facts.open_by_host.begin(), facts.open_by_host.end(), most_first);
  return facts;
}

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.4em}"
    ".totals{display:flex;flex-wrap:wrap;gap:1em}"
    ".total{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;min-width:6em}"
    ".total b{display:block;font-size:1.6em}table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}th{background:#f3f3f3}"
    "td.number{text-align:right}.open{color:#0a7b24}.closed{color:#a33}.filtered,"
    ".open-filtered{color:#886}.note{color:#666}";

void append_totals(std::string& page, const ReportFacts& facts) {
  page += "<div class=\"totals\">";
  fmt::format_to(std::back_inserter(page),
                 "<div class=\"total\" id=\"hosts-up\"><b>{}</b>hosts up</div>", facts.hosts_up);
  for (const PortState state : kStates) {
    fmt::format_to(std::back_inserter(page),
                   "<div class=\"total {0}\" id=\"total-{0}\"><b>{1}</b>{2}</div>", state_id(state),
                   facts.by_state[static_cast<std::size_t>(state)], html_escaped(to_string(state)));
  }
  page += "</div>\n";
}

void append_chart(std::string& page, const ReportFacts& facts) {
  page += "<h2>Open ports by service</h2>\n";
  const std::size_t bars = std::min(facts.open_by_service.size(), kChartBars);
  if (bars == 0) {
    page += "<p class=\"note\">No open ports.</p>\n";
    return;
  }
  const double widest = static_cast<double>(facts.open_by_service.front().first);
  fmt::format_to(std::back_inserter(page),
                 "<svg id=\"services-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" "
                 "height=\"{}\" role=\"img\" aria-label=\"open ports by service\">",
                 24 * bars + 8);
  for (std::size_t i = 0; i < bars; ++i) {
    const auto& [count, name] = facts.open_by_service[i];
    const double width = 440.0 * static_cast<double>(count) / widest;
    const std::size_t top = 24 * i;
    fmt::format_to(std::back_inserter(page),
                   "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text>"
                   "<rect x=\"240\" y=\"{}\" width=\"{:.1f}\" height=\"18\" fill=\"#3b7dd8\"/>"
                   "<text x=\"{:.1f}\" y=\"{}\" font-size=\"13\">{}</text>",
                   top + 17, html_escaped(name), top + 4, width, 246 + width, top + 17, count);
  }
  page += "</svg>\n";
  if (facts.open_by_service.size() > bars) {
    fmt::format_to(std::back_inserter(page),
                   "<p class=\"note\">{} more services not charted.</p>\n",
                   facts.open_by_service.size() - bars);
  }
}

void append_top_hosts(std::string& page, const ReportFacts& facts) {
  page +=
      "<h2>Hosts with the most open ports</h2>\n<table id=\"top-hosts\"><tr><th>host</th>"
      "<th>open ports</th></tr>\n";
  for (std::size_t i = 0; i < std::min(facts.open_by_host.size(), kTopHosts); ++i) {
    fmt::format_to(std::back_inserter(page), "<tr><td>{}</td><td class=\"number\">{}</td></tr>\n",
                   detail::ipv4_text(facts.open_by_host[i].second), facts.open_by_host[i].first);
  }
  page += "</table>\n";
}

void append_results(std::string& page, const ScanModel& scan) {
  page +=
      "<h2>All results</h2>\n<table id=\"results\"><tr><th>host</th><th>port</th><th>proto</th>"
      "<th>state</th><th>reason</th><th>service</th></tr>\n";
  for (const auto& [address, host] : scan.hosts) {
    if (!host.up) continue;
    const std::string address_text = detail::ipv4_text(address);
    for (const ScannedPort& port : host.ports) {
      const std::string_view reason = port.reason_text.empty()
                                          ? std::string_view(to_string(port.result.reason))
                                          : std::string_view(port.reason_text);
      fmt::format_to(
          std::back_inserter(page),
          "<tr><td>{}</td><td class=\"number\">{}</td><td>{}</td><td class=\"{}\">{}</td>"
          "<td>{}</td><td>{}</td></tr>\n",
          address_text, port.result.port, to_string(port.result.protocol),
          state_id(port.result.state), html_escaped(to_string(port.result.state)),
          html_escaped(reason), html_escaped(service_of(port)));
    }
    for (const CollapsedPorts& group : host.collapsed) {
      fmt::format_to(std::back_inserter(page),
                     "<tr><td>{}</td><td colspan=\"2\">{} more</td><td class=\"{}\">{}</td>"
                     "<td colspan=\"2\" class=\"note\">summarised in the input</td></tr>\n",
                     address_text, group.count, state_id(group.state),
                     html_escaped(to_string(group.state)));
    }
  }
  page += "</table>\n";
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
  const ReportFacts facts = facts_of(scan);
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width\"><title>synscan report: ";
  page += html_escaped(title);
  page += "</title>\n<style>";
  page += kStyle;
  page += "</style></head><body>\n<h1>synscan report</h1>\n<p>";
  page += html_escaped(title);
  if (!scan.command_line.empty()) {
    page += " &mdash; <code>" + html_escaped(scan.command_line) + "</code>";
  }
  if (scan.start_time != 0) {
    page += " &mdash; started " + html_escaped(detail::ctime_text(scan.start_time));
  }
  page += "</p>\n";
  append_totals(page, facts);
  if (facts.silent_hosts) {
    fmt::format_to(
        std::back_inserter(page),
        "<p class=\"note\">{} host(s) in the file never answered and are not listed.</p>\n",
        facts.silent_hosts);
  }
  append_chart(page, facts);
  append_top_hosts(page, facts);
  append_results(page, scan);
  page += "</body></html>\n";
  return page;
}

}  // namespace synscan::output
