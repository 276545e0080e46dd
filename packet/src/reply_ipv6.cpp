// Bounds-checked IPv6 reply parsing (contract in reply.hpp, parse_ipv6_packet).
//
// Every read is preceded by a size check on the span it reads from. Two sizes matter, as for
// IPv4: the captured bytes (reading past them is kTruncated: a short snaplen looks the same) and
// what the headers claim (an extension header or TCP data offset reaching past the payload length
// is malformed: kBadHeaderLength). The extension-header walk is bounded by
// kMaximumExtensionHeaders, so a looping or endless chain costs at most that many steps.
#include <algorithm>

#include "packet/reply.hpp"
#include "reply_parsing.hpp"
#include "wire_bytes.hpp"

namespace synscan::packet {
namespace {

constexpr std::uint8_t kHopByHop = 0;
constexpr std::uint8_t kRouting = 43;
constexpr std::uint8_t kFragmentHeader = 44;
constexpr std::uint8_t kAuthentication = 51;  // AH: length in 4-byte units (RFC 4302)
constexpr std::uint8_t kDestinationOptions = 60;
constexpr std::uint8_t kMobility = 135;
constexpr std::uint8_t kHostIdentity = 139;
constexpr std::uint8_t kShim6 = 140;

constexpr std::size_t kFragmentHeaderSize = 8;
constexpr std::uint16_t kFragmentOffsetMask = 0xFFF8;  // 13 bits above the flags

constexpr std::uint8_t kIcmpv6DestinationUnreachable = 1;
constexpr std::uint8_t kIcmpv6TimeExceeded = 3;

// The fixed IPv6 header and where its extension-header chain ends.
struct Ipv6Layer {
  std::size_t l4_offset = kIpv6HeaderSize;  ///< start of the upper-layer header
  std::uint8_t protocol = 0;                ///< the upper-layer protocol after the chain
  bool first_fragment = true;
};

[[nodiscard]] bool is_extension_header(std::uint8_t next_header) noexcept {
  switch (next_header) {
    case kHopByHop:
    case kRouting:
    case kFragmentHeader:
    case kAuthentication:
    case kDestinationOptions:
    case kMobility:
    case kHostIdentity:
    case kShim6:
      return true;
    default:
      return false;
  }
}

// Walks the extension headers of the datagram `bytes` (captured, cut to the payload length),
// starting after the fixed header with `next_header`. `claimed_size` is 40 + payload length.
ParseStatus walk_extension_headers(std::span<const std::byte> bytes, std::size_t claimed_size,
                                   std::uint8_t next_header, Ipv6Layer& layer) noexcept {
  std::size_t offset = kIpv6HeaderSize;
  for (std::size_t count = 0; is_extension_header(next_header); ++count) {
    if (count == kMaximumExtensionHeaders) return ParseStatus::kTooManyExtensionHeaders;
    if (offset + 2 > claimed_size) return ParseStatus::kBadHeaderLength;
    if (offset + 2 > bytes.size()) return ParseStatus::kTruncated;
    const std::byte* at = bytes.data() + offset;
    std::size_t length;
    if (next_header == kFragmentHeader) {
      length = kFragmentHeaderSize;
      if (offset + length > bytes.size()) {
        return offset + length > claimed_size ? ParseStatus::kBadHeaderLength
                                              : ParseStatus::kTruncated;
      }
      if ((wire::load_big_endian16(at + 2) & kFragmentOffsetMask) != 0) {
        layer.first_fragment = false;
      }
    } else if (next_header == kAuthentication) {
      length = (std::size_t{wire::load8(at + 1)} + 2) * 4;
    } else {
      length = (std::size_t{wire::load8(at + 1)} + 1) * 8;
    }
    if (offset + length > claimed_size) return ParseStatus::kBadHeaderLength;
    next_header = wire::load8(at);
    offset += length;
    // A non-first fragment carries no upper-layer header; stop before reading what follows.
    if (!layer.first_fragment) break;
  }
  layer.l4_offset = offset;
  layer.protocol = next_header;
  return ParseStatus::kOk;
}

// The fixed header of `bytes` and its chain; `claimed_size` comes from the payload length.
ParseStatus read_ipv6_layer(std::span<const std::byte> bytes, std::size_t claimed_size,
                            Ipv6Layer& layer) noexcept {
  return walk_extension_headers(bytes, claimed_size, wire::load8(bytes.data() + 6), layer);
}

void copy_address(const std::byte* from, Ipv6Bytes& to) noexcept {
  std::copy_n(from, to.size(), to.begin());
}

// ICMPv6 error quote: the invoking packet's IPv6 header, its extension headers, and at least 8
// bytes of its upper-layer header. The quoted payload length describes the original packet, not
// the quote, so only the quote's own bytes bound the walk.
ParseStatus parse_icmpv6_quote(std::span<const std::byte> quoted, IcmpQuote& quote) noexcept {
  if (quoted.size() < kIpv6HeaderSize) return ParseStatus::kBadQuote;
  if (wire::load8(quoted.data()) >> 4 != 6) return ParseStatus::kBadQuote;
  Ipv6Layer layer;
  if (read_ipv6_layer(quoted, quoted.size(), layer) != ParseStatus::kOk) {
    return ParseStatus::kBadQuote;
  }
  if (!layer.first_fragment) return ParseStatus::kBadQuote;
  if (quoted.size() - layer.l4_offset < parsing::kQuotedL4Size) return ParseStatus::kBadQuote;
  copy_address(quoted.data() + 8, quote.source_ipv6);
  copy_address(quoted.data() + 24, quote.destination_ipv6);
  quote.protocol = layer.protocol;
  const std::byte* quoted_l4 = quoted.data() + layer.l4_offset;
  if (quote.protocol == kProtocolTcp || quote.protocol == kProtocolUdp) {
    quote.source_port = wire::load_big_endian16(quoted_l4);
    quote.destination_port = wire::load_big_endian16(quoted_l4 + 2);
  }
  if (quote.protocol == kProtocolTcp) quote.tcp_sequence = wire::load_big_endian32(quoted_l4 + 4);
  return ParseStatus::kOk;
}

ParseStatus parse_icmpv6(std::span<const std::byte> message, Reply& out) noexcept {
  if (message.size() < parsing::kIcmpHeaderSize) return ParseStatus::kTruncated;
  out.icmp_type = wire::load8(message.data());
  out.icmp_code = wire::load8(message.data() + 1);
  // Only errors that say a probe did not get through are answers. Packet Too Big (2) cannot
  // happen to a 78-byte probe and says nothing about the port; parameter problem (4), echo and
  // NDP (133-137) are not answers either.
  if (out.icmp_type != kIcmpv6DestinationUnreachable && out.icmp_type != kIcmpv6TimeExceeded) {
    return ParseStatus::kUnsupportedIcmp;
  }
  return parse_icmpv6_quote(message.subspan(parsing::kIcmpHeaderSize), out.quote);
}

}  // namespace

ParseStatus parse_ipv6_packet(std::span<const std::byte> packet, Reply& out) noexcept {
  out = Reply{};
  out.ip_version = 6;
  if (packet.size() < kIpv6HeaderSize) return ParseStatus::kTruncated;
  const std::byte* header = packet.data();
  if (wire::load8(header) >> 4 != 6) return ParseStatus::kNotIp;
  const std::size_t claimed_size = kIpv6HeaderSize + wire::load_big_endian16(header + 4);
  // The datagram: captured bytes cut to the payload length (drops Ethernet padding).
  const std::span<const std::byte> datagram = packet.first(std::min(claimed_size, packet.size()));
  Ipv6Layer layer;
  if (const ParseStatus status = read_ipv6_layer(datagram, claimed_size, layer);
      status != ParseStatus::kOk) {
    return status;
  }
  if (!layer.first_fragment) return ParseStatus::kFragment;
  // The last extension header may end exactly at, or (snaplen) beyond, the captured bytes.
  if (layer.l4_offset > datagram.size()) return ParseStatus::kTruncated;
  copy_address(header + 8, out.source_ipv6);
  copy_address(header + 24, out.destination_ipv6);
  out.ttl = wire::load8(header + 7);
  out.protocol = layer.protocol;
  const std::span<const std::byte> l4 = datagram.subspan(layer.l4_offset);
  switch (layer.protocol) {
    case kProtocolTcp:
      return parsing::parse_tcp(l4, claimed_size - layer.l4_offset, out);
    case kProtocolUdp:
      return parsing::parse_udp(l4, out);
    case kProtocolIcmpv6:
      return parse_icmpv6(l4, out);
    default:
      return ParseStatus::kUnsupportedProtocol;
  }
}

}  // namespace synscan::packet
