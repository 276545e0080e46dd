// Shared field parsing of the saved-scan readers (scan_file_fields.hpp).
#include "scan_file_fields.hpp"

#include <algorithm>

#include "net/ipv4_address.hpp"

namespace synscan::output::detail {

void Location::fail(const std::string& why) const {
  throw ScanFileError(where() + ": " + why);
}

std::string Location::where() const {
  std::string text = origin_;
  if (line_ != 0) text.append(":").append(std::to_string(line_));
  return text;
}

// "2.35" -> 2.35; anything else (absent, malformed, negative) -> -1, meaning unknown.
double seconds_or_unknown(std::string_view text) {
  const auto value = number_from<double>(text);
  return value && *value >= 0 ? *value : -1;
}

std::optional<Protocol> protocol_from(std::string_view text) {
  for (const Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    if (text == to_string(protocol)) return protocol;
  }
  return std::nullopt;
}

std::optional<PortState> state_from(std::string_view text) {
  for (const PortState state :
       {PortState::kOpen, PortState::kClosed, PortState::kFiltered, PortState::kOpenFiltered}) {
    if (text == to_string(state)) return state;
  }
  return std::nullopt;
}

std::optional<Reason> reason_from(std::string_view text) {
  for (std::size_t value = 0; value < kReasonCount; ++value) {
    if (text == to_string(static_cast<Reason>(value))) return static_cast<Reason>(value);
  }
  return std::nullopt;
}

std::uint16_t port_or_fail(const Location& at, std::string_view text) {
  const auto port = number_from<unsigned>(text);
  if (!port || *port > 65535) at.fail("bad port '" + std::string(text) + "'");
  return static_cast<std::uint16_t>(*port);
}

// net::Ipv4Address's rule: a leading zero is refused here as everywhere (nmap never writes one).
std::uint32_t address_or_fail(const Location& at, std::string_view text) {
  const auto address = net::Ipv4Address::parse(text);
  if (!address && text.find(':') != std::string_view::npos) {
    at.fail("IPv6 address '" + std::string(text) + "': synscan reads IPv4 results only");
  }
  if (!address) {
    at.fail("bad IPv4 address '" + std::string(text) + "': " + net::ipv4_problem(text));
  }
  return address->value();
}

PortState state_or_fail(const Location& at, std::string_view text) {
  const auto state = state_from(text);
  if (!state) at.fail("unknown port state '" + std::string(text) + "'");
  return *state;
}

std::uint8_t ttl_or_fail(const Location& at, std::string_view text) {
  if (text.empty()) return 0;
  const auto ttl = number_from<unsigned>(text);
  if (!ttl || *ttl > 255) at.fail("bad TTL '" + std::string(text) + "'");
  return static_cast<std::uint8_t>(*ttl);
}

// Non-negative integers: times and counts. "" (attribute absent) is 0.
std::uint64_t count_or_fail(const Location& at, std::string_view text, const char* what) {
  if (text.empty()) return 0;
  const auto value = number_from<std::uint64_t>(text);
  if (!value || *value > static_cast<std::uint64_t>(INT64_MAX)) {
    at.fail(std::string("bad ") + what + " '" + std::string(text) + "'");
  }
  return *value;
}

std::time_t time_or_fail(const Location& at, std::string_view text) {
  return static_cast<std::time_t>(count_or_fail(at, text, "time"));
}

ScannedPort make_port(std::uint16_t port, Protocol protocol, PortState state,
                      std::string_view reason_text, std::uint8_t ttl) {
  ScannedPort scanned;
  scanned.result.port = port;
  scanned.result.protocol = protocol;
  scanned.result.state = state;
  scanned.result.reason = reason_from(reason_text).value_or(inferred_reason(protocol, state));
  scanned.result.reason_ttl = ttl;
  scanned.reason_text = std::string(reason_text);
  return scanned;
}

void widen_times(std::time_t& start, std::time_t& end, std::time_t when) {
  if (when == 0) return;
  start = start ? std::min(start, when) : when;
  end = std::max(end, when);
}

}  // namespace synscan::output::detail
