// libFuzzer target: user-typed target and port specifications (command line, -iL files).
//
// Any text is split into tokens and each token parsed as a target, and the whole text parsed as
// a port list. A UsageError is the documented answer to bad input; anything else escaping, a
// crash or a sanitizer report is a bug. Hostnames never reach DNS: the resolver finds nothing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "scanner/errors.hpp"
#include "scanner/ports.hpp"
#include "scanner/targets.hpp"

namespace {

using namespace synscan::scanner;

void check(bool condition) {
  if (!condition) std::abort();
}

std::vector<std::uint32_t> resolve_nothing(const std::string&) {
  return {};
}

void parse_targets(std::string_view text) {
  std::vector<AddressRange> ranges;
  std::vector<Ipv6Range> ipv6_ranges;
  for (const std::string& token : split_target_tokens(text)) {
    check(!token.empty());
    try {
      const TargetRanges parsed = parse_target_token(token, resolve_nothing);
      for (const AddressRange& range : parsed.ipv4) {
        check(range.first <= range.last);
        ranges.push_back(range);
      }
      for (const Ipv6Range& range : parsed.ipv6) {
        check(range.first <= range.last);
        check(synscan::net::Ipv6Address::parse(range.first.to_string()) == range.first);
        ipv6_ranges.push_back(range);
      }
    } catch (const synscan::UsageError&) {
      // Expected for malformed or unresolvable tokens.
    }
  }
  // The set arithmetic on whatever parsed: half included, half excluded. Octet ranges can expand
  // to millions of ranges ("1-255.0-255.0-255.0-55": one per three-octet prefix); sorting those
  // would make the fuzzer slow without testing anything new, so big expansions stop here.
  if (ranges.size() > 65536) return;
  const std::size_t half = ranges.size() / 2;
  const std::size_t ipv6_half = ipv6_ranges.size() / 2;
  TargetSet set;
  try {
    set = TargetSet(TargetRanges{std::vector<AddressRange>(ranges.begin(), ranges.begin() + half),
                                 std::vector<Ipv6Range>(ipv6_ranges.begin(), ipv6_ranges.begin() + ipv6_half)},
                    TargetRanges{std::vector<AddressRange>(ranges.begin() + half, ranges.end()),
                                 std::vector<Ipv6Range>(ipv6_ranges.begin() + ipv6_half, ipv6_ranges.end())});
  } catch (const synscan::UsageError&) {
    return;  // more than 2^62 IPv6 addresses: refused, as it must be
  }
  if (!set.empty()) {
    check(set.index_of(set.address_at(0)) == 0);
    check(set.index_of(set.address_at(set.size() - 1)) == set.size() - 1);
    check(set.ipv4_size() + set.ipv6_size() == set.size());
    if (set.ipv4_size() > 0) check(set.index_of(set.at(set.ipv4_size() - 1)) == set.ipv4_size() - 1);
  }
}

void parse_ports(std::string_view text, bool tcp_enabled, bool udp_enabled) {
  try {
    const PortList ports = parse_port_spec(text, tcp_enabled, udp_enabled);
    for (const auto* list : {&ports.tcp, &ports.udp}) {
      for (std::size_t index = 1; index < list->size(); ++index) {
        check((*list)[index - 1] < (*list)[index]);  // sorted, unique
      }
    }
    if (!tcp_enabled) check(ports.tcp.empty());
    if (!udp_enabled) check(ports.udp.empty());
  } catch (const synscan::UsageError&) {
    // Expected for malformed specifications.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Copied into an exactly sized string so AddressSanitizer sees its end.
  const std::string text(data, data + size);
  parse_targets(text);
  for (const auto& [tcp_enabled, udp_enabled] :
       {std::pair{true, false}, std::pair{false, true}, std::pair{true, true}}) {
    parse_ports(text, tcp_enabled, udp_enabled);
  }
  return 0;
}
