// The greppable reader (-oG), best effort: "Host: ADDR (NAME)\tStatus: Up" and
// "Host: ADDR (NAME)\tPorts: 22/open/tcp//ssh///, ...\tIgnored State: closed (997)".
// It has no reasons and no TTLs; reasons are inferred from the states.
#include <ctime>
#include <string>
#include <vector>

#include "scan_file_fields.hpp"

namespace synscan::output::detail {
namespace {

std::vector<std::string_view> split(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + separator.size());
  }
}

// "Wed Nov 25 03:57:44 2026" (local time, as the writers print it) -> epoch seconds; 0 if not.
std::time_t ctime_value(std::string_view text) {
  std::tm parsed{};
  const std::string copy(text);
  if (::strptime(copy.c_str(), "%a %b %d %H:%M:%S %Y", &parsed) == nullptr) return 0;
  parsed.tm_isdst = -1;
  const std::time_t value = std::mktime(&parsed);
  return value < 0 ? 0 : value;
}

void parse_greppable_comment(std::string_view line, ScanModel& model) {
  // "# Nmap 7.93 scan initiated DATE as: ARGS" / "# synscan 0.1.0 scan initiated ..."
  constexpr std::string_view kInitiated = " scan initiated ";
  constexpr std::string_view kAs = " as: ";
  if (const std::size_t initiated = line.find(kInitiated); initiated != std::string_view::npos) {
    const std::vector<std::string_view> words = split(line.substr(2, initiated - 2), " ");
    if (words.size() == 2) {
      model.scanner = words[0] == "Nmap" ? "nmap" : std::string(words[0]);
      model.scanner_version = std::string(words[1]);
    }
    const std::size_t as = line.find(kAs, initiated);
    const std::size_t date = initiated + kInitiated.size();
    model.start_time =
        ctime_value(line.substr(date, as == std::string_view::npos ? line.npos : as - date));
    if (as != std::string_view::npos)
      model.command_line = std::string(line.substr(as + kAs.size()));
    return;
  }
  // "# Nmap done at DATE -- 256 IP addresses (3 hosts up) scanned in 2.35 seconds"
  constexpr std::string_view kDone = " done at ";
  constexpr std::string_view kScannedIn = " scanned in ";
  const std::size_t done = line.find(kDone);
  if (done == std::string_view::npos) return;
  const std::size_t dashes = line.find(" -- ", done);
  if (dashes == std::string_view::npos) return;
  const std::size_t date = done + kDone.size();
  model.end_time = ctime_value(line.substr(date, dashes - date));
  const std::string_view counts = line.substr(dashes + 4);
  model.hosts_total = number_from<std::uint64_t>(counts.substr(0, counts.find(' '))).value_or(0);
  if (const std::size_t scanned = counts.find(kScannedIn); scanned != std::string_view::npos) {
    const std::string_view seconds = counts.substr(scanned + kScannedIn.size());
    model.elapsed_seconds = seconds_or_unknown(seconds.substr(0, seconds.find(' ')));
  }
}

void parse_greppable_ports(std::string_view field, const Location& at, ScannedHost& host,
                           ScanModel& model) {
  // Entries are ", "-separated; a ", " inside a version field is glued back on.
  std::vector<std::string> entries;
  for (const std::string_view piece : split(field, ", ")) {
    const bool starts_entry = !piece.empty() &&
                              std::isdigit(static_cast<unsigned char>(piece[0])) != 0 &&
                              piece.find('/') != std::string_view::npos;
    if (starts_entry || entries.empty()) {
      entries.emplace_back(piece);
    } else {
      entries.back().append(", ").append(piece);
    }
  }
  for (const std::string& entry : entries) {
    const std::vector<std::string_view> parts = split(entry, "/");
    if (parts.size() < 5) at.fail("bad port entry '" + entry + "'");
    const auto protocol = protocol_from(parts[2]);
    if (!protocol) {
      model.warnings.push_back(at.where() + ": " + std::string(parts[2]) + " port skipped");
      continue;
    }
    const PortState state = state_or_fail(at, parts[1]);
    ScannedPort port = make_port(port_or_fail(at, parts[0]), *protocol, state, "", 0);
    port.service = std::string(parts[4]);
    host.ports.push_back(std::move(port));
  }
}

}  // namespace

void read_greppable(std::string_view text, ScanModel& model) {
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("# ", 0) == 0) {
      parse_greppable_comment(line, model);
      continue;
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const Location at(model.origin, number);
    if (line.rfind("Host: ", 0) != 0) at.fail("not a greppable record (expected 'Host: ')");
    const std::vector<std::string_view> fields = split(line, "\t");
    const std::string_view host_field = fields[0].substr(6);
    const std::uint32_t address = address_or_fail(at, host_field.substr(0, host_field.find(' ')));
    ScannedHost& host = model.hosts[address];
    host.address = address;
    for (std::size_t i = 1; i < fields.size(); ++i) {
      const std::string_view field = fields[i];
      if (field.rfind("Status: ", 0) == 0) {
        host.up = field.substr(8) == "Up";
      } else if (field.rfind("Ports: ", 0) == 0) {
        host.up = true;
        parse_greppable_ports(field.substr(7), at, host, model);
      } else if (field.rfind("Ignored State: ", 0) == 0) {
        // "closed (997)"
        const std::string_view rest = field.substr(15);
        const std::size_t paren = rest.find(" (");
        const PortState state = state_or_fail(at, rest.substr(0, paren));
        std::string_view count = paren == std::string_view::npos ? "" : rest.substr(paren + 2);
        if (!count.empty() && count.back() == ')') count.remove_suffix(1);
        const auto value = number_from<std::uint64_t>(count);
        if (!value) at.fail("bad Ignored State count in '" + std::string(rest) + "'");
        host.collapsed.push_back({state, *value});
      }
    }
  }
  if (model.hosts.empty() && model.command_line.empty()) {
    Location(model.origin, 0).fail("no greppable records");
  }
}

}  // namespace synscan::output::detail
