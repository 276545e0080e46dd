// IPv6 probe templates: libnet builds each frame once at setup; write() copies and patches it.
// IPv6 has no header checksum, so a probe's only checksum is the L4 one, whose pseudo-header
// (RFC 8200 section 8.1) covers both addresses: the destination's eight words enter the RFC 1624
// delta together with the ports (and the TCP sequence).
#include <libnet.h>

#include <cstring>
#include <string>

#include "packet/probe_template.hpp"
#include "template_building.hpp"
#include "wire_bytes.hpp"

namespace synscan::packet {
namespace {

// Field offsets relative to the IPv6 header (no extension headers).
constexpr std::size_t kIpv6DestinationOffset = 24;
constexpr std::size_t kSourcePortOffset = kIpv6HeaderSize + 0;
constexpr std::size_t kDestinationPortOffset = kIpv6HeaderSize + 2;
constexpr std::size_t kTcpSequenceOffset = kIpv6HeaderSize + 4;
constexpr std::size_t kTcpChecksumOffset = kIpv6HeaderSize + 16;
constexpr std::size_t kUdpChecksumOffset = kIpv6HeaderSize + 6;

// The payload length field is 16 bits and counts the UDP header too (no jumbograms).
constexpr std::size_t kMaximumIpv6UdpPayload = 65535 - building::kUdpHeaderSize;

// Builds IPv6 (+ Ethernet unless the link has no link header) on top of the L4 blocks already in
// `context`; returns the frame with the L4 checksum libnet computes over the IPv6 pseudo-header.
// Destination ::, traffic class and flow label 0, hop limit addressing.ttl.
std::vector<std::byte> finish_ipv6_frame(libnet_t* context, const FrameAddressing& addressing,
                                         std::uint8_t next_header, std::size_t l4_size) {
  libnet_in6_addr source{};
  libnet_in6_addr destination{};
  std::memcpy(source.libnet_s6_addr, addressing.source_ipv6.data(), 16);
  // libnet 1.1.6 stores `len` as the payload length field (the bytes after the fixed header).
  building::check_ptag(
      context,
      libnet_build_ipv6(/*tc=*/0, /*fl=*/0, static_cast<std::uint16_t>(l4_size), next_header,
                        addressing.ttl, source, destination, nullptr, 0, context, 0),
      "libnet_build_ipv6");
  return building::finish_frame(
      context, addressing, ETHERTYPE_IPV6,
      ipv6_offset_for(addressing.link_header) + kIpv6HeaderSize + l4_size);
}

// Copies the template, sets the destination address and the ports. Returns the RFC 1624 delta
// the L4 checksum needs for them (the destination through the pseudo-header). The old values are
// read from the template rather than assumed zero.
std::uint64_t copy_and_address(std::byte* out, std::size_t ip_offset,
                               const std::vector<std::byte>& frame, Ipv6View destination,
                               std::uint16_t source_port, std::uint16_t destination_port) noexcept {
  std::memcpy(out, frame.data(), frame.size());
  std::byte* const ip = out + ip_offset;
  std::byte* const address = ip + kIpv6DestinationOffset;
  std::uint64_t delta = 0;
  for (std::size_t at = 0; at < 16; at += 4) {
    delta += wire::word_delta32(wire::load_big_endian32(address + at),
                                wire::load_big_endian32(destination.data() + at));
  }
  std::memcpy(address, destination.data(), 16);
  delta += wire::word_delta(wire::load_big_endian16(ip + kSourcePortOffset), source_port) +
           wire::word_delta(wire::load_big_endian16(ip + kDestinationPortOffset), destination_port);
  wire::store_big_endian16(ip + kSourcePortOffset, source_port);
  wire::store_big_endian16(ip + kDestinationPortOffset, destination_port);
  return delta;
}

}  // namespace

Ipv6TcpSynTemplate::Ipv6TcpSynTemplate(const FrameAddressing& addressing,
                                       const TcpSynOptions& options)
    : ip_offset_(ipv6_offset_for(addressing.link_header)) {
  const building::LibnetContext context = building::open_builder();
  building::build_tcp_syn(context.get(), options);
  frame_ = finish_ipv6_frame(context.get(), addressing, IPPROTO_TCP, building::kTcpSynSize);
}

void Ipv6TcpSynTemplate::write(std::byte* out, Ipv6View destination, std::uint16_t source_port,
                               std::uint16_t destination_port,
                               std::uint32_t sequence) const noexcept {
  std::byte* const ip = out + ip_offset_;
  const std::uint64_t tcp_delta =
      copy_and_address(out, ip_offset_, frame_, destination, source_port, destination_port) +
      wire::word_delta32(wire::load_big_endian32(ip + kTcpSequenceOffset), sequence);
  wire::store_big_endian32(ip + kTcpSequenceOffset, sequence);
  const std::uint16_t tcp_checksum = wire::load_big_endian16(ip + kTcpChecksumOffset);
  wire::store_big_endian16(ip + kTcpChecksumOffset,
                           wire::apply_checksum_delta(tcp_checksum, tcp_delta));
}

Ipv6UdpTemplate::Ipv6UdpTemplate(const FrameAddressing& addressing,
                                 std::span<const std::byte> payload, CookieEcho echo)
    : ip_offset_(ipv6_offset_for(addressing.link_header)) {
  if (echo.width != 0 && std::size_t{echo.request_offset} + echo.width <= payload.size()) {
    echo_offset_ = l4_offset() + building::kUdpHeaderSize + echo.request_offset;
    echo_width_ = echo.width;
  }
  if (payload.size() > kMaximumIpv6UdpPayload) {
    throw TemplateError("UDP payload of " + std::to_string(payload.size()) +
                        " bytes does not fit an IPv6 datagram");
  }
  const building::LibnetContext context = building::open_builder();
  building::build_udp(context.get(), payload);
  frame_ = finish_ipv6_frame(context.get(), addressing, IPPROTO_UDP,
                             building::kUdpHeaderSize + payload.size());
  // A computed zero is sent as all ones: over IPv6 a zero UDP checksum is not allowed at all.
  std::byte* const checksum = frame_.data() + ip_offset_ + kUdpChecksumOffset;
  if (wire::load_big_endian16(checksum) == 0) wire::store_big_endian16(checksum, 0xFFFF);
}

void Ipv6UdpTemplate::write(std::byte* out, Ipv6View destination, std::uint16_t source_port,
                            std::uint16_t destination_port, std::uint32_t cookie) const noexcept {
  const std::uint64_t udp_delta =
      copy_and_address(out, ip_offset_, frame_, destination, source_port, destination_port);
  std::byte* const checksum_field = out + ip_offset_ + kUdpChecksumOffset;
  std::uint16_t udp_checksum =
      wire::apply_checksum_delta(wire::load_big_endian16(checksum_field), udp_delta);
  if (udp_checksum == 0) udp_checksum = 0xFFFF;
  wire::store_big_endian16(checksum_field, udp_checksum);
  if (echo_width_ != 0) {
    building::write_udp_cookie(out, frame_.size(), {l4_offset(), echo_offset_, echo_width_},
                               cookie);
  }
}

}  // namespace synscan::packet
