// Target parsing and the merged address set. Everything here runs once at setup and throws
// UsageError naming the token the user typed; the scan itself only calls at()/index_of().
#include "scanner/targets.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "net/ipv4_address.hpp"
#include "net/ipv6_address.hpp"
#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

[[noreturn]] void reject(std::string_view token, std::string_view reason) {
  throw UsageError("invalid target '" + std::string(token) + "': " + std::string(reason));
}

bool is_digit(char character) noexcept {
  return character >= '0' && character <= '9';
}
bool is_letter(char character) noexcept {
  return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z');
}

// An address under net::Ipv4Address's text rule (no leading zeros), as the host-order integer the
// target set stores.
std::optional<std::uint32_t> address_from(std::string_view text) noexcept {
  const std::optional<net::Ipv4Address> address = net::Ipv4Address::parse(text);
  if (!address) return std::nullopt;
  return address->value();
}

[[noreturn]] void reject_octet(std::string_view token, std::string_view field) {
  reject(token, "bad octet '" + std::string(field) + "': it " +
                    std::string(net::ipv4_octet_problem(field)));
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end == std::string_view::npos ? end : end - begin));
    if (end == std::string_view::npos) return parts;
    begin = end + 1;
  }
}

// Hostnames end in a label that starts with a letter (top-level domains are never numeric);
// anything else is an address spec, so "198.18.0.256" is a bad octet, not a DNS lookup.
bool looks_like_hostname(std::string_view text) noexcept {
  const std::size_t last_dot = text.rfind('.');
  const std::string_view last_label =
      last_dot == std::string_view::npos ? text : text.substr(last_dot + 1);
  return !last_label.empty() && is_letter(last_label.front());
}

std::uint32_t resolve_first(std::string_view token, std::string_view hostname,
                            HostResolver resolver) {
  const std::vector<std::uint32_t> addresses = resolver(std::string(hostname));
  if (addresses.empty()) reject(token, "cannot resolve '" + std::string(hostname) + "'");
  // Like nmap, a name that resolves to several addresses scans the first one.
  return addresses.front();
}

AddressRange parse_cidr(std::string_view token, std::size_t slash, HostResolver resolver) {
  const std::string_view base_text = token.substr(0, slash);
  const std::string_view prefix_text = token.substr(slash + 1);
  if (prefix_text.empty() || prefix_text.size() > 2 ||
      !std::all_of(prefix_text.begin(), prefix_text.end(), is_digit)) {
    reject(token, "prefix length must be 0-32");
  }
  const int prefix = std::stoi(std::string(prefix_text));
  if (prefix > 32) reject(token, "prefix length must be 0-32");
  std::uint32_t base = 0;
  if (std::optional<std::uint32_t> address = address_from(base_text)) {
    base = *address;
  } else if (looks_like_hostname(base_text)) {
    base = resolve_first(token, base_text, resolver);
  } else {
    std::string why = "'";
    why.append(base_text).append("' is not an IPv4 address: ").append(net::ipv4_problem(base_text));
    reject(token, why);
  }
  // Host bits set are allowed and ignored, as nmap does: 198.18.0.5/16 is 198.18.0.0/16.
  const std::uint32_t host_mask =
      prefix == 0 ? ~std::uint32_t{0} : (std::uint32_t{1} << (32 - prefix)) - 1;
  return {base & ~host_mask, base | host_mask};
}

struct OctetRange {
  std::uint32_t first;
  std::uint32_t last;
};

// One field of nmap's octet-range syntax: "7", "1-254", "-9" (from 0), "200-" (to 255), "*".
OctetRange parse_octet_range(std::string_view token, std::string_view field) {
  if (field == "*" || field == "-") return {0, 255};
  const std::size_t dash = field.find('-');
  if (dash == std::string_view::npos) {
    const std::optional<std::uint8_t> octet = net::parse_ipv4_octet(field);
    if (!octet) reject_octet(token, field);
    return {*octet, *octet};
  }
  const std::string_view low_text = field.substr(0, dash);
  const std::string_view high_text = field.substr(dash + 1);
  const std::optional<std::uint8_t> low =
      low_text.empty() ? std::uint8_t{0} : net::parse_ipv4_octet(low_text);
  const std::optional<std::uint8_t> high =
      high_text.empty() ? std::uint8_t{255} : net::parse_ipv4_octet(high_text);
  if (!low) reject_octet(token, low_text);
  if (!high) reject_octet(token, high_text);
  if (*low > *high) reject(token, "reversed octet range '" + std::string(field) + "'");
  return {*low, *high};
}

// "10.0.0-3.1-254": the cartesian product of four octet ranges, as address ranges. Trailing
// fields that are full (0-255) fold into the range of the field before them, so "10.*.*.*" is one
// range, not 65536.
std::vector<AddressRange> parse_octet_ranges(std::string_view token,
                                             const std::vector<std::string_view>& fields) {
  std::array<OctetRange, 4> octets{};
  for (std::size_t i = 0; i < 4; ++i) octets[i] = parse_octet_range(token, fields[i]);
  // The innermost field that is not full becomes the contiguous part of each range.
  std::size_t contiguous_field = 0;
  for (std::size_t i = 4; i-- > 0;) {
    if (octets[i].first != 0 || octets[i].last != 255) {
      contiguous_field = i;
      break;
    }
  }
  const unsigned low_bits = 8 * static_cast<unsigned>(3 - contiguous_field);
  const std::uint32_t low_mask =
      low_bits == 0 ? 0 : static_cast<std::uint32_t>((std::uint64_t{1} << low_bits) - 1);

  // Each combination of the fields before the contiguous one is a separate range. A spec such as
  // "1-255.*.*.1" would be 16 million of them (hundreds of MiB): refuse it with a clear message.
  std::uint64_t combinations = 1;
  for (std::size_t i = 0; i < contiguous_field; ++i) combinations *= octets[i].last - octets[i].first + 1;
  constexpr std::uint64_t kMaxOctetRanges = std::uint64_t{1} << 20;
  if (combinations > kMaxOctetRanges) {
    reject(token, "expands to " + std::to_string(combinations) +
                      " separate ranges (more than 1048576); use CIDR blocks or a-b ranges");
  }
  std::vector<AddressRange> ranges;
  ranges.reserve(static_cast<std::size_t>(combinations));
  std::array<std::uint32_t, 4> current{};
  // Odometer over the fields before the contiguous one.
  for (std::size_t i = 0; i < contiguous_field; ++i) current[i] = octets[i].first;
  while (true) {
    std::uint32_t prefix = 0;
    for (std::size_t i = 0; i < contiguous_field; ++i) prefix |= current[i] << (24 - 8 * i);
    const unsigned shift = 24 - 8 * static_cast<unsigned>(contiguous_field);
    ranges.push_back({prefix | (octets[contiguous_field].first << shift),
                      prefix | (octets[contiguous_field].last << shift) | low_mask});
    std::size_t field = contiguous_field;
    while (field > 0) {
      --field;
      if (current[field] < octets[field].last) {
        ++current[field];
        break;
      }
      current[field] = octets[field].first;
      if (field == 0) return ranges;
    }
    if (contiguous_field == 0) return ranges;
  }
}

std::vector<AddressRange> parse_address_spec(std::string_view token) {
  const std::size_t dash = token.find('-');
  if (dash != std::string_view::npos && token.find('-', dash + 1) == std::string_view::npos) {
    const std::optional<std::uint32_t> first = address_from(token.substr(0, dash));
    const std::optional<std::uint32_t> last = address_from(token.substr(dash + 1));
    if (first && last) {
      if (*first > *last) reject(token, "range end is below its start");
      return {{*first, *last}};
    }
    // Two dotted quads around the dash: an address range, so name the side that is wrong.
    const std::string_view start_text = token.substr(0, dash);
    const std::string_view end_text = token.substr(dash + 1);
    if (std::count(start_text.begin(), start_text.end(), '.') == 3 &&
        std::count(end_text.begin(), end_text.end(), '.') == 3) {
      if (!first) reject(token, "range start: " + net::ipv4_problem(start_text));
      reject(token, "range end: " + net::ipv4_problem(end_text));
    }
  }
  const std::vector<std::string_view> fields = split(token, '.');
  if (fields.size() != 4) reject(token, "not an IPv4 address, range, CIDR block or hostname");
  if (dash == std::string_view::npos && token.find('*') == std::string_view::npos) {
    // A plain dotted quad: name the bad octet.
    for (std::string_view field : fields) {
      if (!net::parse_ipv4_octet(field)) reject_octet(token, field);
    }
    const std::uint32_t address = *address_from(token);
    return {{address, address}};
  }
  return parse_octet_ranges(token, fields);
}

// IPv6 tokens: "2001:2::1", "2001:2::/112" (host bits ignored, as for IPv4), "2001:2::1-2001:2::ff".
net::Uint128 ipv6_or_reject(std::string_view token, std::string_view text, std::string_view role) {
  const std::optional<net::Ipv6Address> parsed = net::Ipv6Address::parse(text);
  if (!parsed) {
    reject(token, std::string(role) + "'" + std::string(text) + "' is not an IPv6 address: " + net::ipv6_problem(text));
  }
  return parsed->to_integer();
}

Ipv6Range parse_ipv6_token(std::string_view token) {
  const auto range = [](net::Uint128 first, net::Uint128 last) {
    return Ipv6Range{net::Ipv6Address::from_integer(first), net::Ipv6Address::from_integer(last)};
  };
  if (const std::size_t slash = token.find('/'); slash != std::string_view::npos) {
    const std::string_view prefix_text = token.substr(slash + 1);
    if (prefix_text.empty() || prefix_text.size() > 3 ||
        !std::all_of(prefix_text.begin(), prefix_text.end(), is_digit)) {
      reject(token, "prefix length must be 0-128");
    }
    const int prefix = std::stoi(std::string(prefix_text));
    if (prefix > 128) reject(token, "prefix length must be 0-128");
    const net::Uint128 base = ipv6_or_reject(token, token.substr(0, slash), "");
    const net::Uint128 host_mask = prefix == 0 ? ~net::Uint128{0} : (net::Uint128{1} << (128 - prefix)) - 1;
    return range(base & ~host_mask, base | host_mask);
  }
  if (const std::size_t dash = token.find('-'); dash != std::string_view::npos) {
    const net::Uint128 first = ipv6_or_reject(token, token.substr(0, dash), "range start: ");
    const net::Uint128 last = ipv6_or_reject(token, token.substr(dash + 1), "range end: ");
    if (first > last) reject(token, "range end is below its start");
    return range(first, last);
  }
  const net::Uint128 single = ipv6_or_reject(token, token, "");
  return range(single, single);
}

// Ranges of either family as numbers: IPv4 in 64 bits, IPv6 in 128 bits; the code below never
// computes last + 1 of the family's last address.
template <typename Number>
struct Span {
  Number first;
  Number last;
};

// Sorts and merges overlapping or adjacent ranges.
template <typename Number>
std::vector<Span<Number>> normalize(std::vector<Span<Number>> spans) {
  std::sort(spans.begin(), spans.end(), [](const auto& left, const auto& right) { return left.first < right.first; });
  std::vector<Span<Number>> merged;
  for (const Span<Number>& span : spans) {
    if (!merged.empty() && (span.first == 0 || span.first - 1 <= merged.back().last)) {
      merged.back().last = std::max(merged.back().last, span.last);
    } else {
      merged.push_back(span);
    }
  }
  return merged;
}

// `included` minus `excluded`, both normalized: one sweep, each include range cut by the
// exclusions overlapping it.
template <typename Number>
std::vector<Span<Number>> subtract(const std::vector<Span<Number>>& included,
                                   const std::vector<Span<Number>>& excluded) {
  std::vector<Span<Number>> result;
  std::size_t next_exclusion = 0;
  for (const Span<Number>& range : included) {
    Number cursor = range.first;  // first address of `range` not yet emitted or cut
    bool remaining = true;
    while (next_exclusion < excluded.size() && excluded[next_exclusion].last < cursor) ++next_exclusion;
    for (std::size_t i = next_exclusion; i < excluded.size() && excluded[i].first <= range.last; ++i) {
      if (excluded[i].first > cursor) result.push_back({cursor, excluded[i].first - 1});
      if (excluded[i].last >= range.last) {
        remaining = false;
        break;
      }
      cursor = std::max(cursor, excluded[i].last + 1);
    }
    if (remaining) result.push_back({cursor, range.last});
  }
  return result;
}

std::vector<Span<std::uint64_t>> spans_of(const std::vector<AddressRange>& ranges) {
  std::vector<Span<std::uint64_t>> spans;
  spans.reserve(ranges.size());
  for (const AddressRange& range : ranges) spans.push_back({range.first, range.last});
  return spans;
}

std::vector<Span<net::Uint128>> spans_of(const std::vector<Ipv6Range>& ranges) {
  std::vector<Span<net::Uint128>> spans;
  spans.reserve(ranges.size());
  for (const Ipv6Range& range : ranges) spans.push_back({range.first.to_integer(), range.last.to_integer()});
  return spans;
}

[[noreturn]] void refuse_size() {
  throw UsageError("the targets hold more than 2^62 addresses: far too many to scan (IPv6 scans are for "
                   "hit lists and small prefixes)");
}

std::vector<AddressRange> parse_ipv4_token(std::string_view token, HostResolver resolver) {
  if (const std::size_t slash = token.find('/'); slash != std::string_view::npos) {
    return {parse_cidr(token, slash, resolver)};
  }
  if (looks_like_hostname(token)) {
    const std::uint32_t address = resolve_first(token, token, resolver);
    return {{address, address}};
  }
  return parse_address_spec(token);
}

}  // namespace

void TargetRanges::append(const TargetRanges& other) {
  ipv4.insert(ipv4.end(), other.ipv4.begin(), other.ipv4.end());
  ipv6.insert(ipv6.end(), other.ipv6.begin(), other.ipv6.end());
}

TargetSet::TargetSet(TargetRanges include, const TargetRanges& exclude) {
  for (const auto& span : subtract(normalize(spans_of(include.ipv4)), normalize(spans_of(exclude.ipv4)))) {
    ranges_.push_back({static_cast<std::uint32_t>(span.first), static_cast<std::uint32_t>(span.last)});
    start_index_.push_back(ipv4_total_);
    ipv4_total_ += ranges_.back().size();
  }
  for (const auto& span : subtract(normalize(spans_of(include.ipv6)), normalize(spans_of(exclude.ipv6)))) {
    if (span.last - span.first >= kMaxIndexableTargets) refuse_size();
    ipv6_ranges_.push_back({net::Ipv6Address::from_integer(span.first), net::Ipv6Address::from_integer(span.last)});
    ipv6_start_index_.push_back(ipv6_total_);
    ipv6_total_ += static_cast<std::uint64_t>(span.last - span.first) + 1;
    if (ipv6_total_ > kMaxIndexableTargets) refuse_size();
  }
  if (size() > kMaxIndexableTargets) refuse_size();
}

std::uint32_t TargetSet::at(std::uint64_t index) const noexcept {
  // The last range whose start index is <= index.
  const auto after = std::upper_bound(start_index_.begin(), start_index_.end(), index);
  const auto range = static_cast<std::size_t>(std::distance(start_index_.begin(), after) - 1);
  return ranges_[range].first + static_cast<std::uint32_t>(index - start_index_[range]);
}

net::Ipv6Address TargetSet::ipv6_at(std::uint64_t index) const noexcept {
  const std::uint64_t local = index - ipv4_total_;
  const auto after = std::upper_bound(ipv6_start_index_.begin(), ipv6_start_index_.end(), local);
  const auto range = static_cast<std::size_t>(std::distance(ipv6_start_index_.begin(), after) - 1);
  return net::Ipv6Address::from_integer(ipv6_ranges_[range].first.to_integer() + (local - ipv6_start_index_[range]));
}

net::IpAddress TargetSet::address_at(std::uint64_t index) const noexcept {
  if (index < ipv4_total_) return net::IpAddress::v4(at(index));
  return net::IpAddress(ipv6_at(index));
}

std::optional<std::uint64_t> TargetSet::index_of(std::uint32_t address) const noexcept {
  const auto after = std::upper_bound(
      ranges_.begin(), ranges_.end(), address,
      [](std::uint32_t value, const AddressRange& range) { return value < range.first; });
  if (after == ranges_.begin()) return std::nullopt;
  const auto range = static_cast<std::size_t>(std::distance(ranges_.begin(), after) - 1);
  if (address > ranges_[range].last) return std::nullopt;
  return start_index_[range] + (address - ranges_[range].first);
}

std::optional<std::uint64_t> TargetSet::index_of(const net::Ipv6Address& address) const noexcept {
  const auto after = std::upper_bound(
      ipv6_ranges_.begin(), ipv6_ranges_.end(), address,
      [](const net::Ipv6Address& value, const Ipv6Range& range) { return value < range.first; });
  if (after == ipv6_ranges_.begin()) return std::nullopt;
  const auto range = static_cast<std::size_t>(std::distance(ipv6_ranges_.begin(), after) - 1);
  if (address > ipv6_ranges_[range].last) return std::nullopt;
  return ipv4_total_ + ipv6_start_index_[range] +
         static_cast<std::uint64_t>(address.to_integer() - ipv6_ranges_[range].first.to_integer());
}

std::optional<std::uint64_t> TargetSet::index_of(const net::IpAddress& address) const noexcept {
  return address.is_ipv4() ? index_of(address.ipv4().value()) : index_of(address.ipv6());
}

std::vector<std::uint32_t> resolve_with_getaddrinfo(const std::string& hostname) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address instead of one per socket type
  addrinfo* results = nullptr;
  if (getaddrinfo(hostname.c_str(), nullptr, &hints, &results) != 0) return {};
  const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(results, &freeaddrinfo);
  std::vector<std::uint32_t> addresses;
  for (const addrinfo* entry = results; entry != nullptr; entry = entry->ai_next) {
    if (entry->ai_family != AF_INET || entry->ai_addrlen < sizeof(sockaddr_in)) continue;
    sockaddr_in address{};
    std::memcpy(&address, entry->ai_addr, sizeof address);
    const std::uint32_t host_order = ntohl(address.sin_addr.s_addr);
    if (std::find(addresses.begin(), addresses.end(), host_order) == addresses.end()) {
      addresses.push_back(host_order);
    }
  }
  return addresses;
}

TargetRanges parse_target_token(std::string_view token, HostResolver resolver) {
  if (token.empty()) reject(token, "empty target");
  if (token.find(':') != std::string_view::npos) return {{}, {parse_ipv6_token(token)}};
  return {parse_ipv4_token(token, resolver), {}};
}

std::vector<std::string> split_target_tokens(std::string_view text) {
  std::vector<std::string> tokens;
  std::string current;
  bool in_comment = false;
  for (char character : text) {
    if (in_comment) {
      in_comment = character != '\n';
      continue;
    }
    const bool separator = character == ',' || character == ' ' || character == '\t' ||
                           character == '\n' || character == '\r' || character == '\v' ||
                           character == '\f';
    if (character == '#' || separator) {
      if (!current.empty()) tokens.push_back(std::move(current));
      current.clear();
      in_comment = character == '#';
      continue;
    }
    current.push_back(character);
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

std::vector<std::string> read_target_file(const std::string& path) {
  std::ostringstream contents;
  if (path == "-") {
    contents << std::cin.rdbuf();
    if (std::cin.bad()) throw UsageError("cannot read targets from standard input");
    return split_target_tokens(contents.str());
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw UsageError("cannot read target file '" + path + "': " + std::strerror(errno));
  }
  contents << file.rdbuf();
  if (file.bad()) throw UsageError("cannot read target file '" + path + "'");
  return split_target_tokens(contents.str());
}

TargetSet build_target_set(const std::vector<std::string>& include_tokens,
                           const std::vector<std::string>& exclude_tokens, HostResolver resolver) {
  TargetRanges include;
  for (const std::string& token : include_tokens) include.append(parse_target_token(token, resolver));
  TargetRanges exclude;
  for (const std::string& token : exclude_tokens) exclude.append(parse_target_token(token, resolver));
  return TargetSet(std::move(include), exclude);
}

}  // namespace synscan::scanner
