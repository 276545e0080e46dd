// Probe templates: libnet builds each frame once at setup; write() copies and patches it.
#include "packet/probe_template.hpp"

#include <arpa/inet.h>
#include <libnet.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "template_building.hpp"
#include "wire_bytes.hpp"

namespace synscan::packet {
namespace {

// Field offsets relative to the IPv4 header (IPv4 without options); the template adds its
// ip_offset (14 after Ethernet, 0 without a link header).
constexpr std::size_t kIpv4ChecksumOffset = 10;
constexpr std::size_t kIpv4DestinationOffset = 16;
constexpr std::size_t kSourcePortOffset = kIpv4HeaderSize + 0;
constexpr std::size_t kDestinationPortOffset = kIpv4HeaderSize + 2;
constexpr std::size_t kTcpSequenceOffset = kIpv4HeaderSize + 4;
constexpr std::size_t kTcpChecksumOffset = kIpv4HeaderSize + 16;
constexpr std::size_t kUdpChecksumOffset = kIpv4HeaderSize + 6;

constexpr std::size_t kMaximumIpv4Payload = 65535 - kIpv4HeaderSize - building::kUdpHeaderSize;

// Builds IPv4 (+ Ethernet unless the link has no link header) on top of the L4 blocks already in
// `context`, then returns the whole frame with every checksum libnet computes. Destination
// address 0.0.0.0, no DF, TOS 0.
std::vector<std::byte> finish_ipv4_frame(libnet_t* context, const FrameAddressing& addressing,
                                         std::uint8_t protocol, std::size_t l4_size) {
  building::check_ptag(
      context,
      libnet_build_ipv4(static_cast<std::uint16_t>(kIpv4HeaderSize + l4_size), /*tos=*/0,
                        addressing.ip_id, /*frag=*/0, addressing.ttl, protocol,
                        /*sum=*/0, htonl(addressing.source_ip), /*dst=*/0, nullptr, 0, context, 0),
      "libnet_build_ipv4");
  const std::size_t frame_size =
      ipv4_offset_for(addressing.link_header) + kIpv4HeaderSize + l4_size;
  return building::finish_frame(context, addressing, ETHERTYPE_IP, frame_size);
}

}  // namespace

TcpSynTemplate::TcpSynTemplate(const FrameAddressing& addressing, const TcpSynOptions& options) {
  const building::LibnetContext context = building::open_builder();
  building::build_tcp_syn(context.get(), options);
  frame_ = finish_ipv4_frame(context.get(), addressing, IPPROTO_TCP, building::kTcpSynSize);
  ip_offset_ = ipv4_offset_for(addressing.link_header);
}

namespace {

// The part of write() both probe kinds share: copy the template, set the destination address and
// the ports, fix the IPv4 header checksum. Returns the checksum delta (RFC 1624) the L4 checksum
// needs for those fields, the destination through the pseudo-header included. Offsets are
// relative to `ip`, the IPv4 header inside the copied frame.
std::uint64_t copy_and_address(std::byte* out, std::size_t ip_offset,
                               const std::vector<std::byte>& frame, std::uint32_t destination_ip,
                               std::uint16_t source_port, std::uint16_t destination_port) noexcept {
  std::memcpy(out, frame.data(), frame.size());
  std::byte* const ip = out + ip_offset;
  // The old values come from the template itself (zero as built, but read rather than assumed).
  const std::uint32_t destination_delta =
      wire::word_delta32(wire::load_big_endian32(ip + kIpv4DestinationOffset), destination_ip);
  const std::uint16_t ip_checksum = wire::load_big_endian16(ip + kIpv4ChecksumOffset);
  wire::store_big_endian16(ip + kIpv4ChecksumOffset,
                           wire::apply_checksum_delta(ip_checksum, destination_delta));
  const std::uint64_t l4_delta =
      std::uint64_t{destination_delta} +
      wire::word_delta(wire::load_big_endian16(ip + kSourcePortOffset), source_port) +
      wire::word_delta(wire::load_big_endian16(ip + kDestinationPortOffset), destination_port);
  wire::store_big_endian32(ip + kIpv4DestinationOffset, destination_ip);
  wire::store_big_endian16(ip + kSourcePortOffset, source_port);
  wire::store_big_endian16(ip + kDestinationPortOffset, destination_port);
  return l4_delta;
}

}  // namespace

void TcpSynTemplate::write(std::byte* out, std::uint32_t destination_ip, std::uint16_t source_port,
                           std::uint16_t destination_port, std::uint32_t sequence) const noexcept {
  const std::uint64_t address_delta =
      copy_and_address(out, ip_offset_, frame_, destination_ip, source_port, destination_port);
  std::byte* const ip = out + ip_offset_;
  const std::uint64_t tcp_delta =
      address_delta +
      wire::word_delta32(wire::load_big_endian32(ip + kTcpSequenceOffset), sequence);
  wire::store_big_endian32(ip + kTcpSequenceOffset, sequence);
  const std::uint16_t tcp_checksum = wire::load_big_endian16(ip + kTcpChecksumOffset);
  wire::store_big_endian16(ip + kTcpChecksumOffset,
                           wire::apply_checksum_delta(tcp_checksum, tcp_delta));
}

UdpTemplate::UdpTemplate(const FrameAddressing& addressing, std::span<const std::byte> payload,
                         CookieEcho echo) {
  ip_offset_ = ipv4_offset_for(addressing.link_header);
  if (echo.width != 0 && std::size_t{echo.request_offset} + echo.width <= payload.size()) {
    echo_offset_ = l4_offset() + building::kUdpHeaderSize + echo.request_offset;
    echo_width_ = echo.width;
  }
  if (payload.size() > kMaximumIpv4Payload) {
    throw TemplateError("UDP payload of " + std::to_string(payload.size()) +
                        " bytes does not fit an IPv4 datagram");
  }
  const building::LibnetContext context = building::open_builder();
  building::build_udp(context.get(), payload);
  frame_ = finish_ipv4_frame(context.get(), addressing, IPPROTO_UDP,
                             building::kUdpHeaderSize + payload.size());
  // RFC 768: a computed checksum of zero is sent as all ones (zero means "none"); libnet 1.1.6
  // leaves it zero.
  std::byte* const checksum = frame_.data() + ip_offset_ + kUdpChecksumOffset;
  if (wire::load_big_endian16(checksum) == 0) wire::store_big_endian16(checksum, 0xFFFF);
}

void UdpTemplate::write(std::byte* out, std::uint32_t destination_ip, std::uint16_t source_port,
                        std::uint16_t destination_port, std::uint32_t cookie) const noexcept {
  const std::uint64_t udp_delta =
      copy_and_address(out, ip_offset_, frame_, destination_ip, source_port, destination_port);
  std::byte* const checksum_field = out + ip_offset_ + kUdpChecksumOffset;
  std::uint16_t udp_checksum =
      wire::apply_checksum_delta(wire::load_big_endian16(checksum_field), udp_delta);
  if (udp_checksum == 0) udp_checksum = 0xFFFF;  // RFC 768
  wire::store_big_endian16(checksum_field, udp_checksum);
  if (echo_width_ != 0) write_cookie(out, cookie);
}

void UdpTemplate::write_cookie(std::byte* out, std::uint32_t cookie) const noexcept {
  building::write_udp_cookie(out, frame_.size(), {l4_offset(), echo_offset_, echo_width_}, cookie);
}

}  // namespace synscan::packet
