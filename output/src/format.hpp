#pragma once
// Text helpers shared by the writers: nmap's date, count and port-list spellings, escaping, and
// nmap's rule for which ports of a host are listed and which are summarised.
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "output/result.hpp"

namespace synscan::output::detail {

/// ctime(3)'s layout without its newline, in local time as nmap prints it:
/// "Wed Nov 25 03:57:44 2026" (day of month space-padded). English names regardless of locale.
std::string ctime_text(std::time_t when);

/// nmap's run summary counts: "1 IP address (1 host up)", "256 IP addresses (3 hosts up)".
std::string hosts_summary_text(std::uint64_t hosts_total, std::uint64_t hosts_up);

/// Seconds with two decimals, as nmap's "scanned in 0.04 seconds" and elapsed="0.04".
std::string elapsed_text(double seconds);

/// Appends `text` escaped for an XML attribute value or character data: < > & " ' as entities,
/// tab/newline/CR as character references (attribute normalisation would otherwise eat them),
/// other control bytes (not allowed in XML 1.0 even escaped) as the visible text "\xNN".
void append_xml_escaped(std::string& out, std::string_view text);

/// Appends `text` for use inside an XML comment: the second dash of any "--" becomes "&#45;"
/// (as nmap writes it), control bytes become "\xNN", and a trailing dash is avoided by the caller
/// writing " -->" after it.
void append_xml_comment_text(std::string& out, std::string_view text);

/// Appends `text` as a JSON string literal with its quotes (RFC 8259 escaping; bytes >= 0x80 are
/// passed through, the command line and names being UTF-8 or ASCII).
void append_json_string(std::string& out, std::string_view text);

/// Replaces characters that would break a greppable line or field: '/' -> '|' (nmap's own rule
/// for fields), and tab/CR/LF -> ' ' (they would split the record).
std::string greppable_field(std::string_view text);

/// One line of text for a greppable comment header: CR/LF become spaces.
std::string single_line(std::string_view text);

/// A state that nmap summarises for a host instead of listing its ports.
struct IgnoredState {
  PortState state;
  std::size_t count;
};

/// The ports of one summarised state that share a (reason, protocol): nmap's <extrareasons>.
struct ReasonGroup {
  Reason reason;
  Protocol protocol;
  std::size_t count = 0;
  std::vector<std::uint16_t> ports;
};

/// Which ports of one host nmap lists and which it summarises (portlist.cc's isIgnoredState at
/// verbosity 0, checked against nmap 7.93):
///  - open is never summarised;
///  - with --open, closed and filtered are always summarised (when present);
///  - any other state is summarised when it covers more than kMaxListedPortsPerState (25) ports
///    of the host; this includes open|filtered.
/// Counts are per host across TCP and UDP, as nmap counts them.
class PortListing {
 public:
  /// `ports` must outlive the listing; any order (the listing sorts a copy TCP then UDP).
  PortListing(std::span<const PortResult> ports, bool only_open);

  /// The host's ports, TCP ascending then UDP ascending.
  [[nodiscard]] std::span<const PortResult> sorted_ports() const noexcept { return sorted_; }
  [[nodiscard]] bool is_listed(const PortResult& port) const noexcept;
  /// Summarised states in nmap's order: most ports first, ties in nmap's state-number order
  /// (closed, filtered, open|filtered).
  [[nodiscard]] const std::vector<IgnoredState>& ignored_states() const noexcept {
    return ignored_;
  }
  /// nmap --open prints a host only when it has open or open|filtered ports.
  [[nodiscard]] bool has_open_or_open_filtered() const noexcept;
  /// The <extrareasons> of a summarised state, in nmap's order (see format.cpp).
  [[nodiscard]] std::vector<ReasonGroup> reason_groups(PortState state) const;

 private:
  std::vector<PortResult> sorted_;
  std::size_t state_counts_[4] = {};
  bool state_ignored_[4] = {};
  std::vector<IgnoredState> ignored_;
};

}  // namespace synscan::output::detail
