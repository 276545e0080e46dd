#pragma once
/// Target specification: IPv4 addresses, CIDR blocks, ranges, hostnames, files, exclusions.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synscan::scanner {

/// Inclusive range of IPv4 addresses, host byte order.
struct AddressRange {
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  [[nodiscard]] std::uint64_t size() const noexcept { return std::uint64_t{last} - first + 1; }
  friend bool operator==(const AddressRange&, const AddressRange&) = default;
};

/// A sorted, merged, de-duplicated set of addresses with O(log n) index <-> address mapping.
/// Immutable after construction.
class TargetSet {
 public:
  TargetSet() = default;
  /// `include` minus `exclude`; both may overlap and be unsorted.
  TargetSet(std::vector<AddressRange> include, const std::vector<AddressRange>& exclude);

  [[nodiscard]] std::uint64_t size() const noexcept { return total_; }
  [[nodiscard]] bool empty() const noexcept { return total_ == 0; }
  /// The index-th address in ascending order. Precondition: index < size().
  [[nodiscard]] std::uint32_t at(std::uint64_t index) const noexcept;
  /// Inverse of at(); nullopt when the address is not in the set.
  [[nodiscard]] std::optional<std::uint64_t> index_of(std::uint32_t address) const noexcept;
  [[nodiscard]] const std::vector<AddressRange>& ranges() const noexcept { return ranges_; }

 private:
  std::vector<AddressRange> ranges_;          ///< sorted, disjoint, non-adjacent
  std::vector<std::uint64_t> start_index_;    ///< index of ranges_[i].first
  std::uint64_t total_ = 0;
};

/// How to resolve hostnames (injected so tests never touch DNS). Returns all IPv4 addresses,
/// host order; empty when the name does not resolve.
using HostResolver = std::vector<std::uint32_t> (*)(const std::string& hostname);
/// getaddrinfo(AF_INET) based resolver.
std::vector<std::uint32_t> resolve_with_getaddrinfo(const std::string& hostname);

/// Parses one token: "198.18.0.1", "198.18.0.0/16", "198.18.0.1-198.18.1.255", or a hostname
/// (resolved once via `resolver`). Throws UsageError naming the token when malformed or
/// unresolvable. Nmap octet ranges ("10.0.0-3.1-254") are also accepted.
std::vector<AddressRange> parse_target_token(std::string_view token,
                                             HostResolver resolver = resolve_with_getaddrinfo);

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
