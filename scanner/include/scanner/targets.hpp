#pragma once
/// Target specification: IPv4 and IPv6 addresses, CIDR blocks, ranges, hostnames, files, exclusions.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/ip_address.hpp"

namespace synscan::scanner {

/// Inclusive range of IPv4 addresses, host byte order.
struct AddressRange {
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  [[nodiscard]] std::uint64_t size() const noexcept { return std::uint64_t{last} - first + 1; }
  friend bool operator==(const AddressRange&, const AddressRange&) = default;
};

/// Inclusive range of IPv6 addresses.
struct Ipv6Range {
  net::Ipv6Address first;
  net::Ipv6Address last;
  /// last - first + 1; 2^128 does not fit and reads as 0 (only ::/0 has it).
  [[nodiscard]] net::Uint128 size() const noexcept { return last.to_integer() - first.to_integer() + 1; }
  friend bool operator==(const Ipv6Range&, const Ipv6Range&) = default;
};

/// What target tokens name: ranges of each family, unsorted, possibly overlapping.
struct TargetRanges {
  std::vector<AddressRange> ipv4;
  std::vector<Ipv6Range> ipv6;
  void append(const TargetRanges& other);
  friend bool operator==(const TargetRanges&, const TargetRanges&) = default;
};

/// A sorted, merged, de-duplicated set of addresses with O(log n) index <-> address mapping.
/// Immutable after construction.
///
/// Index space: the IPv4 addresses in ascending order, then the IPv6 addresses in ascending order
/// (indices ipv4_size() to size() - 1). The scan order, shards and resume files work on indices
/// only; at() / index_of(std::uint32_t) are the IPv4 hot path and cost what they cost before IPv6.
class TargetSet {
 public:
  TargetSet() = default;
  /// `include` minus `exclude`; both may overlap and be unsorted. Throws UsageError when the set
  /// holds more than 2^62 addresses (too many to index; the caller's --max-targets check says more).
  TargetSet(TargetRanges include, const TargetRanges& exclude);
  /// IPv4 only.
  TargetSet(std::vector<AddressRange> include, const std::vector<AddressRange>& exclude)
      : TargetSet(TargetRanges{std::move(include), {}}, TargetRanges{exclude, {}}) {}

  [[nodiscard]] std::uint64_t size() const noexcept { return ipv4_total_ + ipv6_total_; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] std::uint64_t ipv4_size() const noexcept { return ipv4_total_; }
  [[nodiscard]] std::uint64_t ipv6_size() const noexcept { return ipv6_total_; }
  /// True when index names an IPv6 address.
  [[nodiscard]] bool is_ipv6(std::uint64_t index) const noexcept { return index >= ipv4_total_; }

  /// The index-th IPv4 address, host byte order. Precondition: index < ipv4_size().
  [[nodiscard]] std::uint32_t at(std::uint64_t index) const noexcept;
  /// Precondition: ipv4_size() <= index < size().
  [[nodiscard]] net::Ipv6Address ipv6_at(std::uint64_t index) const noexcept;
  /// Either family. Precondition: index < size().
  [[nodiscard]] net::IpAddress address_at(std::uint64_t index) const noexcept;
  /// Inverse of at(); nullopt when the address is not in the set.
  [[nodiscard]] std::optional<std::uint64_t> index_of(std::uint32_t address) const noexcept;
  /// Inverse of ipv6_at().
  [[nodiscard]] std::optional<std::uint64_t> index_of(const net::Ipv6Address& address) const noexcept;
  /// Inverse of address_at().
  [[nodiscard]] std::optional<std::uint64_t> index_of(const net::IpAddress& address) const noexcept;

  [[nodiscard]] const std::vector<AddressRange>& ranges() const noexcept { return ranges_; }
  [[nodiscard]] const std::vector<Ipv6Range>& ipv6_ranges() const noexcept { return ipv6_ranges_; }

 private:
  std::vector<AddressRange> ranges_;          ///< sorted, disjoint, non-adjacent
  std::vector<std::uint64_t> start_index_;    ///< index of ranges_[i].first
  std::uint64_t ipv4_total_ = 0;
  std::vector<Ipv6Range> ipv6_ranges_;        ///< sorted, disjoint, non-adjacent
  std::vector<std::uint64_t> ipv6_start_index_;  ///< index of ipv6_ranges_[i].first, from ipv4_total_
  std::uint64_t ipv6_total_ = 0;
};

/// Above this many addresses a scan is refused unless --max-targets allows it: every IPv4 address
/// fits; IPv6 scans are hit lists and small prefixes, and a /64 would never end.
inline constexpr std::uint64_t kDefaultMaxTargets = std::uint64_t{1} << 32;
/// The most --max-targets allows (the index space and the permutation are 64-bit).
inline constexpr std::uint64_t kMaxIndexableTargets = std::uint64_t{1} << 62;

/// How to resolve hostnames (injected so tests never touch DNS). Returns all IPv4 addresses,
/// host order; empty when the name does not resolve.
using HostResolver = std::vector<std::uint32_t> (*)(const std::string& hostname);
/// getaddrinfo(AF_INET) based resolver.
std::vector<std::uint32_t> resolve_with_getaddrinfo(const std::string& hostname);

/// Parses one token: "198.18.0.1", "198.18.0.0/16", "198.18.0.1-198.18.1.255", "2001:2::1",
/// "2001:2::/112" (any prefix length 0-128), "2001:2::1-2001:2::ff", or a hostname (resolved once
/// via `resolver`, IPv4). Throws UsageError naming the token when malformed or unresolvable. Nmap
/// octet ranges ("10.0.0-3.1-254") are also accepted. A ':' makes a token IPv6.
TargetRanges parse_target_token(std::string_view token, HostResolver resolver = resolve_with_getaddrinfo);

/// Splits spec text (command-line list or file contents) into tokens: whitespace and commas
/// separate, '#' starts a comment to end of line.
std::vector<std::string> split_target_tokens(std::string_view text);

/// Reads a target/exclude file (-iL, --excludefile); "-" reads stdin. Throws UsageError when the
/// file cannot be read.
std::vector<std::string> read_target_file(const std::string& path);

/// Convenience: parse all include and exclude tokens into a TargetSet.
TargetSet build_target_set(const std::vector<std::string>& include_tokens,
                           const std::vector<std::string>& exclude_tokens,
                           HostResolver resolver = resolve_with_getaddrinfo);

}  // namespace synscan::scanner
