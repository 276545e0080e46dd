// libFuzzer target: any byte sequence through the reply parser (IPv4 and IPv6, every link type)
// and every cookie validation.
//
// Beyond "no crash, no sanitizer report", it checks the parser's contract: a kOk result names a
// protocol of its IP version (ICMP only for IPv4, ICMPv6 only for IPv6), and the UDP payload view
// lies inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "packet/checksum.hpp"
#include "packet/cookie.hpp"
#include "packet/reply.hpp"

namespace {

using namespace synscan::packet;

void check(bool condition) {
  if (!condition) std::abort();
}

void validate_all(const Reply& reply, std::uint32_t scanner_ip) {
  // One cookie with fixed addresses and one addressed to whatever the frame is sent to (in both
  // families), so the address check passes and the port and cookie paths run too.
  const Cookie fixed(SipKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL}, scanner_ip,
                     SourcePortRange{}, ipv6_from_groups({0x2001, 2, 0, 1, 0, 0, 0, 1}));
  const Cookie addressed(SipKey{1, 2}, reply.destination_ip, SourcePortRange{1024, 1},
                         reply.destination_ipv6);
  for (const Cookie* cookie : {&fixed, &addressed}) {
    const auto results = {cookie->validate_syn_ack(reply), cookie->validate_rst(reply),
                          cookie->validate_udp(reply), cookie->validate_icmp_quote(reply)};
    for (const Validation validation : results) check(validation <= Validation::kNotOurs);
  }
}

void parse_and_check(std::span<const std::byte> input, LinkType link) {
  Reply reply;
  const ParseStatus status = parse_captured_frame(link, input, reply);
  check(to_string(status) != nullptr);
  check(static_cast<std::size_t>(status) < kParseStatusCount);
  if (status != ParseStatus::kOk) return;
  check(reply.ip_version == 4 || reply.ip_version == 6);
  const std::uint8_t icmp = reply.ip_version == 6 ? kProtocolIcmpv6 : kProtocolIcmp;
  check(reply.protocol == kProtocolTcp || reply.protocol == kProtocolUdp ||
        reply.protocol == icmp);
  // ICMPv6 answers are only errors that quote a probe: never Packet Too Big, NDP or echo.
  if (reply.protocol == kProtocolIcmpv6) check(reply.icmp_type == 1 || reply.icmp_type == 3);
  if (!reply.udp_payload.empty()) {
    check(reply.protocol == kProtocolUdp);
    check(reply.udp_payload.data() >= input.data());
    check(reply.udp_payload.data() + reply.udp_payload.size() <= input.data() + input.size());
  }
  validate_all(reply, 0xC0A80A05);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Copy into an exactly sized buffer of std::byte: no reinterpret_cast, and ASan sees the end.
  std::byte* bytes = new std::byte[size];
  for (std::size_t index = 0; index < size; ++index) bytes[index] = std::byte{data[index]};
  const std::span<const std::byte> input(bytes, size);
  for (const LinkType link : {LinkType::kEthernet, LinkType::kRawIp, LinkType::kLinuxCooked,
                              LinkType::kLinuxCooked2}) {
    parse_and_check(input, link);
  }
  (void)ipv4_checksums_valid(input);
  (void)ipv6_checksums_valid(input);
  delete[] bytes;
  return 0;
}
