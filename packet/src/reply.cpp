// Bounds-checked reply parsing. Every read is preceded by a size check on the span it reads from;
// the parser never trusts a length field beyond the bytes actually captured.
//
// Length policy (decided here, relied on by the engine):
//  * The IPv4 datagram is the captured bytes cut to the IPv4 total length, so Ethernet padding
//    after a short datagram is never parsed as L4 data.
//  * A total length larger than the captured bytes is accepted: a snaplen-limited capture looks
//    exactly like that, and a lying total length cannot be told apart from it. Such a packet is
//    rejected (kTruncated) only when a header the parser needs lies beyond the captured bytes.
//    The UDP payload view is bounded by both the UDP length and the captured bytes.
//  * A header that claims to be longer than the datagram containing it (IHL*4 > total length,
//    TCP data offset beyond the IPv4 payload, UDP length < 8) is malformed, not truncated.
//  * Checksums are not verified: the kernel does not verify them for packet sockets either, and
//    the cookie check rejects corrupted replies to our probes.
#include "packet/reply.hpp"

#include <algorithm>

#include "reply_parsing.hpp"
#include "wire_bytes.hpp"

namespace synscan::packet {
namespace parsing {

ParseStatus parse_tcp(std::span<const std::byte> segment, std::size_t claimed_size,
                      Reply& out) noexcept {
  if (segment.size() < kMinimumTcpHeaderSize) return ParseStatus::kTruncated;
  const std::byte* at = segment.data();
  // Data offset sanity: at least the fixed header, and within the datagram the IPv4 header
  // claims. Options past the captured bytes are fine: they are never read.
  const std::size_t data_offset = (std::size_t{wire::load8(at + 12)} >> 4) * 4;
  if (data_offset < kMinimumTcpHeaderSize || data_offset > claimed_size) {
    return ParseStatus::kBadHeaderLength;
  }
  out.source_port = wire::load_big_endian16(at);
  out.destination_port = wire::load_big_endian16(at + 2);
  out.tcp_sequence = wire::load_big_endian32(at + 4);
  out.tcp_acknowledgment = wire::load_big_endian32(at + 8);
  out.tcp_flags = wire::load8(at + 13);
  return ParseStatus::kOk;
}

ParseStatus parse_udp(std::span<const std::byte> datagram, Reply& out) noexcept {
  if (datagram.size() < kUdpHeaderSize) return ParseStatus::kTruncated;
  const std::byte* at = datagram.data();
  const std::size_t udp_length = wire::load_big_endian16(at + 4);
  if (udp_length < kUdpHeaderSize) return ParseStatus::kBadTotalLength;
  out.source_port = wire::load_big_endian16(at);
  out.destination_port = wire::load_big_endian16(at + 2);
  const std::size_t payload_end = std::min(udp_length, datagram.size());
  out.udp_payload = datagram.subspan(kUdpHeaderSize, payload_end - kUdpHeaderSize);
  return ParseStatus::kOk;
}

}  // namespace parsing

namespace {

using parsing::kIcmpHeaderSize;
using parsing::kQuotedL4Size;

constexpr std::size_t kEthernetHeaderSize = 14;
constexpr std::size_t kVlanTagSize = 4;
constexpr std::size_t kMaximumVlanTags = 2;
constexpr std::uint16_t kEthertypeIpv4 = 0x0800;
constexpr std::uint16_t kEthertypeVlan = 0x8100;      // IEEE 802.1Q customer tag
constexpr std::uint16_t kEthertypeProvider = 0x88A8;  // IEEE 802.1ad service tag (QinQ)

// Linux cooked capture headers (libpcap's pcap-linktype(7)): SLL is packet type, ARPHRD type,
// address length, 8 address bytes, protocol; SLL2 puts the protocol first.
constexpr std::size_t kLinuxCookedHeaderSize = 16;
constexpr std::size_t kLinuxCookedProtocolOffset = 14;
constexpr std::size_t kLinuxCooked2HeaderSize = 20;
constexpr std::size_t kLinuxCooked2ProtocolOffset = 0;

constexpr std::size_t kMinimumIpv4HeaderSize = 20;

constexpr std::uint8_t kIcmpDestinationUnreachable = 3;
constexpr std::uint8_t kIcmpTimeExceeded = 11;

constexpr std::uint16_t kFragmentOffsetMask = 0x1FFF;

// The checked fixed part of an IPv4 header, shared by the outer packet and an ICMP quote.
struct Ipv4Header {
  std::size_t header_length = 0;
  std::size_t total_length = 0;
  bool first_fragment = true;
  std::uint8_t ttl = 0;
  std::uint8_t protocol = 0;
  std::uint32_t source_ip = 0;
  std::uint32_t destination_ip = 0;
};

// Reads and checks an IPv4 header that must lie entirely inside `bytes`.
ParseStatus read_ipv4_header(std::span<const std::byte> bytes, Ipv4Header& header) noexcept {
  if (bytes.size() < kMinimumIpv4HeaderSize) return ParseStatus::kTruncated;
  const std::byte* at = bytes.data();
  const std::uint8_t version_and_length = wire::load8(at);
  if (version_and_length >> 4 != 4) return ParseStatus::kNotIp;
  header.header_length = std::size_t{version_and_length & 0x0Fu} * 4;
  if (header.header_length < kMinimumIpv4HeaderSize) return ParseStatus::kBadHeaderLength;
  if (header.header_length > bytes.size()) return ParseStatus::kBadHeaderLength;
  header.total_length = wire::load_big_endian16(at + 2);
  if (header.total_length < header.header_length) return ParseStatus::kBadTotalLength;
  header.first_fragment = (wire::load_big_endian16(at + 6) & kFragmentOffsetMask) == 0;
  header.ttl = wire::load8(at + 8);
  header.protocol = wire::load8(at + 9);
  header.source_ip = wire::load_big_endian32(at + 12);
  header.destination_ip = wire::load_big_endian32(at + 16);
  return ParseStatus::kOk;
}

ParseStatus parse_icmp(std::span<const std::byte> message, Reply& out) noexcept {
  if (message.size() < kIcmpHeaderSize) return ParseStatus::kTruncated;
  out.icmp_type = wire::load8(message.data());
  out.icmp_code = wire::load8(message.data() + 1);
  if (out.icmp_type != kIcmpDestinationUnreachable && out.icmp_type != kIcmpTimeExceeded) {
    return ParseStatus::kUnsupportedIcmp;
  }
  // The quote: the original IPv4 header (with its own IHL) and 8 bytes of its L4 header. Its
  // total length describes the original datagram, not the quote, so it is not checked against
  // the quote's size.
  const std::span<const std::byte> quoted = message.subspan(kIcmpHeaderSize);
  Ipv4Header quoted_header;
  if (read_ipv4_header(quoted, quoted_header) != ParseStatus::kOk) return ParseStatus::kBadQuote;
  if (quoted.size() - quoted_header.header_length < kQuotedL4Size) return ParseStatus::kBadQuote;
  // A quoted non-first fragment carries no L4 header: nothing identifies the probe.
  if (!quoted_header.first_fragment) return ParseStatus::kBadQuote;

  IcmpQuote& quote = out.quote;
  quote.source_ip = quoted_header.source_ip;
  quote.destination_ip = quoted_header.destination_ip;
  quote.protocol = quoted_header.protocol;
  const std::byte* quoted_l4 = quoted.data() + quoted_header.header_length;
  if (quote.protocol == kProtocolTcp || quote.protocol == kProtocolUdp) {
    quote.source_port = wire::load_big_endian16(quoted_l4);
    quote.destination_port = wire::load_big_endian16(quoted_l4 + 2);
  }
  if (quote.protocol == kProtocolTcp) quote.tcp_sequence = wire::load_big_endian32(quoted_l4 + 4);
  return ParseStatus::kOk;
}

}  // namespace

ParseStatus parse_ipv4_packet(std::span<const std::byte> packet, Reply& out) noexcept {
  out = Reply{};
  Ipv4Header header;
  if (const ParseStatus status = read_ipv4_header(packet, header); status != ParseStatus::kOk) {
    return status;
  }
  if (!header.first_fragment) return ParseStatus::kFragment;
  out.source_ip = header.source_ip;
  out.destination_ip = header.destination_ip;
  out.ttl = header.ttl;
  out.protocol = header.protocol;

  // The L4 bytes: captured data cut to the total length (drops Ethernet padding). The total
  // length may exceed the capture (snaplen); see the length policy at the top.
  const std::size_t datagram_end = std::min(header.total_length, packet.size());
  const std::span<const std::byte> l4 =
      packet.subspan(header.header_length, datagram_end - header.header_length);
  const std::size_t claimed_l4_size = header.total_length - header.header_length;
  switch (header.protocol) {
    case kProtocolTcp:
      return parsing::parse_tcp(l4, claimed_l4_size, out);
    case kProtocolUdp:
      return parsing::parse_udp(l4, out);
    case kProtocolIcmp:
      return parse_icmp(l4, out);
    default:
      return ParseStatus::kUnsupportedProtocol;
  }
}

ParseStatus parse_ethernet_frame(std::span<const std::byte> frame, Reply& out) noexcept {
  if (frame.size() < kEthernetHeaderSize) {
    out = Reply{};
    return ParseStatus::kTruncated;
  }
  std::size_t ethertype_offset = 12;
  std::uint16_t ethertype = wire::load_big_endian16(frame.data() + ethertype_offset);
  for (std::size_t tags = 0;
       tags < kMaximumVlanTags && (ethertype == kEthertypeVlan || ethertype == kEthertypeProvider);
       ++tags) {
    // A tag is 2 bytes of TPID (the ethertype just read) + 2 of TCI; the inner ethertype follows.
    ethertype_offset += kVlanTagSize;
    if (frame.size() < ethertype_offset + 2) {
      out = Reply{};
      return ParseStatus::kTruncated;
    }
    ethertype = wire::load_big_endian16(frame.data() + ethertype_offset);
  }
  if (ethertype == kEthertypeIpv6) {
    return parse_ipv6_packet(frame.subspan(ethertype_offset + 2), out);
  }
  if (ethertype != kEthertypeIpv4) {
    out = Reply{};
    return ParseStatus::kNotIp;
  }
  return parse_ipv4_packet(frame.subspan(ethertype_offset + 2), out);
}

namespace {

ParseStatus parse_cooked_frame(std::span<const std::byte> frame, std::size_t header_size,
                               std::size_t protocol_offset, Reply& out) noexcept {
  if (frame.size() < header_size) {
    out = Reply{};
    return ParseStatus::kTruncated;
  }
  const std::uint16_t protocol = wire::load_big_endian16(frame.data() + protocol_offset);
  if (protocol == kEthertypeIpv6) return parse_ipv6_packet(frame.subspan(header_size), out);
  if (protocol != kEthertypeIpv4) {
    out = Reply{};
    return ParseStatus::kNotIp;
  }
  return parse_ipv4_packet(frame.subspan(header_size), out);
}

}  // namespace

ParseStatus parse_captured_frame(LinkType link, std::span<const std::byte> frame,
                                 Reply& out) noexcept {
  switch (link) {
    case LinkType::kEthernet:
      return parse_ethernet_frame(frame, out);
    case LinkType::kRawIp:
      // No link header: the version nibble says which IP it is (DLT_RAW carries both).
      if (!frame.empty() && wire::load8(frame.data()) >> 4 == 6) {
        return parse_ipv6_packet(frame, out);
      }
      return parse_ipv4_packet(frame, out);
    case LinkType::kLinuxCooked:
      return parse_cooked_frame(frame, kLinuxCookedHeaderSize, kLinuxCookedProtocolOffset, out);
    case LinkType::kLinuxCooked2:
      return parse_cooked_frame(frame, kLinuxCooked2HeaderSize, kLinuxCooked2ProtocolOffset, out);
  }
  out = Reply{};
  return ParseStatus::kNotIp;
}

const char* to_string(LinkType link) noexcept {
  switch (link) {
    case LinkType::kEthernet:
      return "ethernet";
    case LinkType::kRawIp:
      return "raw-ip";
    case LinkType::kLinuxCooked:
      return "linux-cooked";
    case LinkType::kLinuxCooked2:
      return "linux-cooked-v2";
  }
  return "unknown";
}

const char* to_string(ParseStatus status) noexcept {
  switch (status) {
    case ParseStatus::kOk:
      return "ok";
    case ParseStatus::kTruncated:
      return "truncated";
    case ParseStatus::kNotIp:
      return "not-ip";
    case ParseStatus::kBadHeaderLength:
      return "bad-header-length";
    case ParseStatus::kBadTotalLength:
      return "bad-total-length";
    case ParseStatus::kFragment:
      return "fragment";
    case ParseStatus::kUnsupportedProtocol:
      return "unsupported-protocol";
    case ParseStatus::kUnsupportedIcmp:
      return "unsupported-icmp";
    case ParseStatus::kBadQuote:
      return "bad-quote";
    case ParseStatus::kTooManyExtensionHeaders:
      return "too-many-extension-headers";
  }
  return "unknown";
}

}  // namespace synscan::packet
