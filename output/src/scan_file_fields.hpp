#pragma once
// The part the saved-scan readers share (scan_file.hpp's contract): where an error is, field
// parsing that fails with one line naming the file and line, and the reader of each format
// (json_lines_reader.cpp, xml_reader.cpp, greppable_reader.cpp). parse_scan() (scan_file.cpp)
// detects the format, calls one reader, and settles duplicates and times afterwards.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "output/scan_file.hpp"

namespace synscan::output::detail {

/// Where in a file an error is: "scan.xml:12" (line 0 = the whole file: "scan.xml").
class Location {
 public:
  Location(const std::string& origin, std::size_t line) : origin_(origin), line_(line) {}
  /// Throws ScanFileError "WHERE: WHY".
  [[noreturn]] void fail(const std::string& why) const;
  [[nodiscard]] std::string where() const;

 private:
  const std::string& origin_;
  std::size_t line_;
};

template <typename Number>
std::optional<Number> number_from(std::string_view text) {
  Number value{};
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

// "2.35" -> 2.35; anything else (absent, malformed, negative) -> -1, meaning unknown.
double seconds_or_unknown(std::string_view text);
/// "tcp"/"udp", "open"/..., "syn-ack"/... as to_string() spells them; nullopt otherwise.
std::optional<Protocol> protocol_from(std::string_view text);
std::optional<PortState> state_from(std::string_view text);
std::optional<Reason> reason_from(std::string_view text);

// Each fails at `at` with a line naming the bad text.
std::uint16_t port_or_fail(const Location& at, std::string_view text);
/// net::Ipv4Address's rule: a leading zero is refused here as everywhere (nmap never writes one).
std::uint32_t address_or_fail(const Location& at, std::string_view text);
PortState state_or_fail(const Location& at, std::string_view text);
/// "" (absent) is 0.
std::uint8_t ttl_or_fail(const Location& at, std::string_view text);
/// Non-negative integers: times and counts. "" (attribute absent) is 0.
std::uint64_t count_or_fail(const Location& at, std::string_view text, const char* what);
std::time_t time_or_fail(const Location& at, std::string_view text);

/// A record as a file gave it; an unknown reason text keeps its text and gets inferred_reason().
ScannedPort make_port(std::uint16_t port, Protocol protocol, PortState state,
                      std::string_view reason_text, std::uint8_t ttl);

/// Widens [start, end] to include `when` (0 = unknown, ignored).
void widen_times(std::time_t& start, std::time_t& end, std::time_t when);

// The readers: each fills `model` (origin already set) from a whole file of its format or throws
// ScanFileError. Ports may be unsorted and duplicated; parse_scan() settles them.
void read_json_lines(std::string_view text, ScanModel& model);
void read_xml(std::string_view text, ScanModel& model);
void read_greppable(std::string_view text, ScanModel& model);

}  // namespace synscan::output::detail
