#include "format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "output/writers.hpp"

namespace synscan::output::detail {

std::string ctime_text(std::time_t when) {
  static constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm local{};
  if (::localtime_r(&when, &local) == nullptr) return "unknown time";
  return fmt::format("{} {} {:2} {:02}:{:02}:{:02} {}", kWeekdays[local.tm_wday % 7],
                     kMonths[local.tm_mon % 12], local.tm_mday, local.tm_hour, local.tm_min,
                     local.tm_sec, local.tm_year + 1900);
}

std::string hosts_summary_text(std::uint64_t hosts_total, std::uint64_t hosts_up) {
  return fmt::format("{} IP address{} ({} host{} up)", hosts_total, hosts_total == 1 ? "" : "es",
                     hosts_up, hosts_up == 1 ? "" : "s");
}

std::string elapsed_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  return fmt::format("{:.2f}", seconds);
}

namespace {

bool is_control(unsigned char byte) {
  return byte < 0x20 || byte == 0x7f;
}

void append_hex_escape(std::string& out, unsigned char byte) {
  fmt::format_to(std::back_inserter(out), "\\x{:02X}", byte);
}

}  // namespace

void append_xml_escaped(std::string& out, std::string_view text) {
  for (const char character : text) {
    switch (character) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\t':
        out += "&#9;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        if (is_control(static_cast<unsigned char>(character))) {
          append_hex_escape(out, static_cast<unsigned char>(character));
        } else {
          out += character;
        }
    }
  }
}

void append_xml_comment_text(std::string& out, std::string_view text) {
  char previous = '\0';
  for (const char character : text) {
    if (character == '-' && previous == '-') {
      out += "&#45;";
    } else if (is_control(static_cast<unsigned char>(character))) {
      append_hex_escape(out, static_cast<unsigned char>(character));
    } else {
      out += character;
    }
    previous = character;
  }
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char character : text) {
    switch (character) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(character) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(character));
        } else {
          out += character;
        }
    }
  }
  out += '"';
}

std::string greppable_field(std::string_view text) {
  std::string field(text);
  for (char& character : field) {
    if (character == '/') character = '|';
    if (character == '\t' || character == '\n' || character == '\r') character = ' ';
  }
  return field;
}

std::string single_line(std::string_view text) {
  std::string line(text);
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::replace(line.begin(), line.end(), '\r', ' ');
  return line;
}

namespace {

std::size_t index_of(PortState state) {
  return static_cast<std::size_t>(state);
}

bool tcp_then_udp_ascending(const PortResult& left, const PortResult& right) {
  if (left.protocol != right.protocol) return left.protocol < right.protocol;
  return left.port < right.port;
}

// nmap sorts its reason summary (a linked list that starts with an empty placeholder entry) with
// a bottom-up merge sort that, on equal counts, takes the entry from the right-hand run first. We
// reproduce that exactly so <extrareasons> come out in nmap's order; e.g. 30 TCP resets and 30 UDP
// port-unreaches print port-unreach first, as nmap 7.93 does.
void nmap_reason_sort(std::vector<ReasonGroup>& groups) {
  std::vector<ReasonGroup> merged;
  for (std::size_t run = 1; run < groups.size(); run *= 2) {
    merged.clear();
    merged.reserve(groups.size());
    for (std::size_t left = 0; left < groups.size(); left += 2 * run) {
      const std::size_t middle = std::min(left + run, groups.size());
      const std::size_t right_end = std::min(left + 2 * run, groups.size());
      std::size_t from_left = left;
      std::size_t from_right = middle;
      while (from_left < middle || from_right < right_end) {
        const bool take_left =
            from_right == right_end ||
            (from_left < middle && groups[from_right].count < groups[from_left].count);
        merged.push_back(std::move(groups[take_left ? from_left++ : from_right++]));
      }
    }
    groups.swap(merged);
  }
}

}  // namespace

PortListing::PortListing(std::span<const PortResult> ports, bool only_open)
    : sorted_(ports.begin(), ports.end()) {
  std::stable_sort(sorted_.begin(), sorted_.end(), tcp_then_udp_ascending);
  for (const PortResult& port : sorted_) ++state_counts_[index_of(port.state)];

  for (const PortState state :
       {PortState::kClosed, PortState::kFiltered, PortState::kOpenFiltered}) {
    const std::size_t count = state_counts_[index_of(state)];
    const bool never_shown_with_open = only_open && state != PortState::kOpenFiltered && count > 0;
    state_ignored_[index_of(state)] = never_shown_with_open || count > kMaxListedPortsPerState;
  }
  // Candidates are visited in nmap's state-number order, so a stable sort by count leaves ties
  // in that order.
  for (const PortState state :
       {PortState::kClosed, PortState::kFiltered, PortState::kOpenFiltered}) {
    if (state_ignored_[index_of(state)]) {
      ignored_.push_back(IgnoredState{state, state_counts_[index_of(state)]});
    }
  }
  std::stable_sort(
      ignored_.begin(), ignored_.end(),
      [](const IgnoredState& left, const IgnoredState& right) { return left.count > right.count; });
}

bool PortListing::is_listed(const PortResult& port) const noexcept {
  return !state_ignored_[index_of(port.state)];
}

bool PortListing::has_open_or_open_filtered() const noexcept {
  return state_counts_[index_of(PortState::kOpen)] +
             state_counts_[index_of(PortState::kOpenFiltered)] >
         0;
}

std::vector<ReasonGroup> PortListing::reason_groups(PortState state) const {
  // Groups in order of first appearance (ports TCP then UDP ascending), behind nmap's empty
  // placeholder, which the sort moves to the end and which is then dropped.
  std::vector<ReasonGroup> groups(1, ReasonGroup{Reason::kNoResponse, Protocol::kTcp, 0, {}});
  for (const PortResult& port : sorted_) {
    if (port.state != state) continue;
    auto group = std::find_if(groups.begin() + 1, groups.end(), [&](const ReasonGroup& candidate) {
      return candidate.reason == port.reason && candidate.protocol == port.protocol;
    });
    if (group == groups.end()) {
      groups.push_back(ReasonGroup{port.reason, port.protocol, 0, {}});
      group = groups.end() - 1;
    }
    ++group->count;
    group->ports.push_back(port.port);
  }
  nmap_reason_sort(groups);
  std::erase_if(groups, [](const ReasonGroup& group) { return group.count == 0; });
  return groups;
}

}  // namespace synscan::output::detail
