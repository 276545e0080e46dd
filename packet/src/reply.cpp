// Reply parsing over bounds-checked byte views. Every read is preceded by a length check against
// the captured bytes; nothing is read through a cast pointer.
#include "packet/reply.hpp"

#include "wire_bytes.hpp"

namespace synscan::packet {
namespace {

using Bytes = std::span<const std::byte>;

constexpr std::uint16_t kEthertypeIpv4 = 0x0800;
constexpr std::uint16_t kEthertypeVlan = 0x8100;
constexpr std::uint16_t kEthertypeQinQ = 0x88A8;
constexpr std::size_t kMinimumIpv4Header = 20;
constexpr std::uint8_t kIcmpDestinationUnreachable = 3;
constexpr std::uint8_t kIcmpTimeExceeded = 11;

struct Ipv4View {
  std::size_t header_length;
  Bytes payload;  ///< L4 bytes, bounded by both total length and captured data
};

// Validates an IPv4 header at the start of `bytes`. The captured data may be shorter than the
// total length (snaplen): the payload is then what was captured; only the headers we need must be
// present. A total length shorter than the header, or an IHL outside [5, total], is a lie.
ParseStatus view_ipv4(Bytes bytes, Ipv4View& view) noexcept {
  if (bytes.size() < kMinimumIpv4Header) return ParseStatus::kTruncated;
  const std::uint8_t version_ihl = wire::load8(bytes.data());
  if ((version_ihl >> 4) != 4) return ParseStatus::kNotIpv4;
  const std::size_t header_length = std::size_t{version_ihl & 0x0Fu} * 4;
  if (header_length < kMinimumIpv4Header) return ParseStatus::kBadHeaderLength;
  const std::size_t total_length = wire::load_big_endian16(bytes.data() + 2);
  if (total_length < header_length) return ParseStatus::kBadTotalLength;
  if (header_length > bytes.size()) return ParseStatus::kBadHeaderLength;
  const std::size_t available = total_length < bytes.size() ? total_length : bytes.size();
  view.header_length = header_length;
  view.payload = bytes.subspan(header_length, available - header_length);
  return ParseStatus::kOk;
}

bool is_later_fragment(const std::byte* ipv4) noexcept {
  return (wire::load_big_endian16(ipv4 + 6) & 0x1FFF) != 0;
}

ParseStatus parse_quote(Bytes quoted, IcmpQuote& quote) noexcept {
  // The quoted header's own total length describes the original datagram, not the quote, so only
  // its header length is checked against what the ICMP message carries.
  if (quoted.size() < kMinimumIpv4Header) return ParseStatus::kBadQuote;
  const std::uint8_t version_ihl = wire::load8(quoted.data());
  const std::size_t header_length = std::size_t{version_ihl & 0x0Fu} * 4;
  if ((version_ihl >> 4) != 4 || header_length < kMinimumIpv4Header ||
      quoted.size() < header_length + 8) {
    return ParseStatus::kBadQuote;
  }
  quote.protocol = wire::load8(quoted.data() + 9);
  quote.source_ip = wire::load_big_endian32(quoted.data() + 12);
  quote.destination_ip = wire::load_big_endian32(quoted.data() + 16);
  const std::byte* l4 = quoted.data() + header_length;
  if (quote.protocol == kProtocolTcp || quote.protocol == kProtocolUdp) {
    quote.source_port = wire::load_big_endian16(l4);
    quote.destination_port = wire::load_big_endian16(l4 + 2);
  }
  if (quote.protocol == kProtocolTcp) quote.tcp_sequence = wire::load_big_endian32(l4 + 4);
  return ParseStatus::kOk;
}

}  // namespace

ParseStatus parse_ipv4_packet(Bytes packet, Reply& out) noexcept {
  out = Reply{};
  Ipv4View ip;
  if (const ParseStatus status = view_ipv4(packet, ip); status != ParseStatus::kOk) return status;
  const std::byte* header = packet.data();
  out.ttl = wire::load8(header + 8);
  out.protocol = wire::load8(header + 9);
  out.source_ip = wire::load_big_endian32(header + 12);
  out.destination_ip = wire::load_big_endian32(header + 16);
  if (is_later_fragment(header)) return ParseStatus::kFragment;

  const Bytes l4 = ip.payload;
  switch (out.protocol) {
    case kProtocolTcp: {
      if (l4.size() < 20) return ParseStatus::kTruncated;
      const std::size_t data_offset = static_cast<std::size_t>(wire::load8(l4.data() + 12) >> 4) * 4;
      if (data_offset < 20) return ParseStatus::kBadHeaderLength;
      out.source_port = wire::load_big_endian16(l4.data());
      out.destination_port = wire::load_big_endian16(l4.data() + 2);
      out.tcp_sequence = wire::load_big_endian32(l4.data() + 4);
      out.tcp_acknowledgment = wire::load_big_endian32(l4.data() + 8);
      out.tcp_flags = wire::load8(l4.data() + 13);
      return ParseStatus::kOk;
    }
    case kProtocolUdp: {
      if (l4.size() < 8) return ParseStatus::kTruncated;
      const std::size_t udp_length = wire::load_big_endian16(l4.data() + 4);
      if (udp_length < 8) return ParseStatus::kBadTotalLength;
      out.source_port = wire::load_big_endian16(l4.data());
      out.destination_port = wire::load_big_endian16(l4.data() + 2);
      const std::size_t payload_length = (udp_length < l4.size() ? udp_length : l4.size()) - 8;
      out.udp_payload = l4.subspan(8, payload_length);
      return ParseStatus::kOk;
    }
    case kProtocolIcmp: {
      if (l4.size() < 8) return ParseStatus::kTruncated;
      out.icmp_type = wire::load8(l4.data());
      out.icmp_code = wire::load8(l4.data() + 1);
      if (out.icmp_type != kIcmpDestinationUnreachable && out.icmp_type != kIcmpTimeExceeded) {
        return ParseStatus::kUnsupportedIcmp;
      }
      return parse_quote(l4.subspan(8), out.quote);
    }
    default:
      return ParseStatus::kUnsupportedProtocol;
  }
}

ParseStatus parse_ethernet_frame(Bytes frame, Reply& out) noexcept {
  if (frame.size() < 14) {
    out = Reply{};
    return ParseStatus::kTruncated;
  }
  std::size_t offset = 12;
  std::uint16_t ethertype = wire::load_big_endian16(frame.data() + offset);
  for (int tags = 0; tags < 2 && (ethertype == kEthertypeVlan || ethertype == kEthertypeQinQ); ++tags) {
    offset += 4;
    if (frame.size() < offset + 2) {
      out = Reply{};
      return ParseStatus::kTruncated;
    }
    ethertype = wire::load_big_endian16(frame.data() + offset);
  }
  if (ethertype != kEthertypeIpv4) {
    out = Reply{};
    return ParseStatus::kNotIpv4;
  }
  return parse_ipv4_packet(frame.subspan(offset + 2), out);
}

const char* to_string(ParseStatus status) noexcept {
  switch (status) {
    case ParseStatus::kOk: return "ok";
    case ParseStatus::kTruncated: return "truncated";
    case ParseStatus::kNotIpv4: return "not IPv4";
    case ParseStatus::kBadHeaderLength: return "bad header length";
    case ParseStatus::kBadTotalLength: return "bad total length";
    case ParseStatus::kFragment: return "non-first fragment";
    case ParseStatus::kUnsupportedProtocol: return "unsupported protocol";
    case ParseStatus::kUnsupportedIcmp: return "unsupported ICMP type";
    case ParseStatus::kBadQuote: return "malformed ICMP quote";
  }
  return "unknown";
}

}  // namespace synscan::packet
