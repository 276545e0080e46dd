// libFuzzer target: any byte sequence through the reply parser and every cookie validation.
//
// Beyond "no crash, no sanitizer report", it checks the parser's contract: a kOk result names a
// supported protocol, and the UDP payload view lies inside the input.
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
  // One cookie with a fixed address and one addressed to whatever the frame is sent to, so the
  // address check passes and the port and cookie paths run too.
  const Cookie fixed(SipKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL}, scanner_ip,
                     SourcePortRange{});
  const Cookie addressed(SipKey{1, 2}, reply.destination_ip, SourcePortRange{1024, 1});
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
  check(reply.protocol == kProtocolTcp || reply.protocol == kProtocolUdp ||
        reply.protocol == kProtocolIcmp);
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
  delete[] bytes;
  return 0;
}
