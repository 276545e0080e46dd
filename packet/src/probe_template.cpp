// Probe templates: libnet builds each frame once at setup; write() copies and patches it.
#include "packet/probe_template.hpp"

#include <arpa/inet.h>
#include <libnet.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "packet/checksum.hpp"
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

constexpr std::size_t kTcpHeaderSize = 20;
constexpr std::size_t kTcpMssOptionSize = 4;
constexpr std::size_t kUdpHeaderSize = 8;
constexpr std::size_t kMaximumIpv4Payload = 65535 - kIpv4HeaderSize - kUdpHeaderSize;

struct LibnetDeleter {
  void operator()(libnet_t* context) const noexcept { libnet_destroy(context); }
};
using LibnetContext = std::unique_ptr<libnet_t, LibnetDeleter>;

// A context that only builds packets: LIBNET_NONE needs no privileges and opens no socket.
LibnetContext open_builder() {
  char error[LIBNET_ERRBUF_SIZE] = {};
  LibnetContext context(libnet_init(LIBNET_NONE, nullptr, error));
  if (!context) throw TemplateError(std::string("libnet_init: ") + error);
  return context;
}

void check_ptag(libnet_t* context, libnet_ptag_t tag, const char* what) {
  if (tag == -1) throw TemplateError(std::string(what) + ": " + libnet_geterror(context));
}

// Builds IPv4 (+ Ethernet unless the link has no link header) on top of the L4 blocks already in
// `context`, then returns the whole frame with every checksum libnet computes. Destination
// address 0.0.0.0, no DF, TOS 0.
std::vector<std::byte> finish_frame(libnet_t* context, const FrameAddressing& addressing,
                                    std::uint8_t protocol, std::size_t l4_size) {
  check_ptag(
      context,
      libnet_build_ipv4(static_cast<std::uint16_t>(kIpv4HeaderSize + l4_size), /*tos=*/0,
                        addressing.ip_id, /*frag=*/0, addressing.ttl, protocol,
                        /*sum=*/0, htonl(addressing.source_ip), /*dst=*/0, nullptr, 0, context, 0),
      "libnet_build_ipv4");
  if (addressing.link_header == LinkHeader::kEthernet) {
    check_ptag(context,
               libnet_build_ethernet(addressing.destination_mac.data(),
                                     addressing.source_mac.data(), ETHERTYPE_IP, nullptr, 0,
                                     context, 0),
               "libnet_build_ethernet");
  }

  std::uint8_t* packet = nullptr;
  std::uint32_t packet_size = 0;
  if (libnet_pblock_coalesce(context, &packet, &packet_size) == -1) {
    throw TemplateError(std::string("libnet_pblock_coalesce: ") + libnet_geterror(context));
  }
  // The coalesced buffer belongs to the context until freed with libnet_adv_free_packet.
  struct PacketDeleter {
    libnet_t* context;
    void operator()(std::uint8_t* bytes) const noexcept { libnet_adv_free_packet(context, bytes); }
  };
  const std::unique_ptr<std::uint8_t, PacketDeleter> owned(packet, PacketDeleter{context});

  const std::size_t expected_size =
      ipv4_offset_for(addressing.link_header) + kIpv4HeaderSize + l4_size;
  if (packet_size != expected_size) {
    throw TemplateError("libnet built a " + std::to_string(packet_size) + "-byte frame, expected " +
                        std::to_string(expected_size));
  }
  std::vector<std::byte> frame(packet_size);
  std::memcpy(frame.data(), packet, packet_size);
  return frame;
}

}  // namespace

TcpSynTemplate::TcpSynTemplate(const FrameAddressing& addressing, const TcpSynOptions& options) {
  const LibnetContext context = open_builder();
  // libnet wants the options block before the TCP header it belongs to.
  const std::uint8_t mss_option[kTcpMssOptionSize] = {
      2, 4, static_cast<std::uint8_t>(options.mss >> 8), static_cast<std::uint8_t>(options.mss)};
  check_ptag(context.get(),
             libnet_build_tcp_options(mss_option, sizeof mss_option, context.get(), 0),
             "libnet_build_tcp_options");
  constexpr std::size_t tcp_size = kTcpHeaderSize + kTcpMssOptionSize;
  check_ptag(context.get(),
             libnet_build_tcp(/*sp=*/0, /*dp=*/0, /*seq=*/0, /*ack=*/0, TH_SYN, options.window,
                              /*sum=*/0, /*urg=*/0, tcp_size, nullptr, 0, context.get(), 0),
             "libnet_build_tcp");
  frame_ = finish_frame(context.get(), addressing, IPPROTO_TCP, tcp_size);
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
    echo_offset_ = l4_offset() + kUdpHeaderSize + echo.request_offset;
    echo_width_ = echo.width;
  }
  if (payload.size() > kMaximumIpv4Payload) {
    throw TemplateError("UDP payload of " + std::to_string(payload.size()) +
                        " bytes does not fit an IPv4 datagram");
  }
  const LibnetContext context = open_builder();
  const std::size_t udp_size = kUdpHeaderSize + payload.size();
  // libnet copies the payload; it takes uint8_t, the same object representation as std::byte.
  const auto* payload_bytes =
      payload.empty() ? nullptr
                      : static_cast<const std::uint8_t*>(static_cast<const void*>(payload.data()));
  check_ptag(
      context.get(),
      libnet_build_udp(/*sp=*/0, /*dp=*/0, static_cast<std::uint16_t>(udp_size), /*sum=*/0,
                       payload_bytes, static_cast<std::uint32_t>(payload.size()), context.get(), 0),
      "libnet_build_udp");
  frame_ = finish_frame(context.get(), addressing, IPPROTO_UDP, udp_size);
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

// The cookie's big-endian low `echo_width_` bytes go into the echo field; the UDP checksum is
// updated (RFC 1624) over the 16-bit words they touch, aligned to the UDP header (at an even
// frame offset with or without the link header). A word past the frame's end counts as a zero
// pad byte.
void UdpTemplate::write_cookie(std::byte* out, std::uint32_t cookie) const noexcept {
  const std::size_t first = echo_offset_, last = echo_offset_ + echo_width_;  // [first, last)
  const std::size_t size = frame_.size();
  const auto word_at = [&](std::size_t at) {
    const unsigned high = std::to_integer<unsigned>(out[at]);
    const unsigned low = at + 1 < size ? std::to_integer<unsigned>(out[at + 1]) : 0;
    return static_cast<std::uint16_t>(high << 8 | low);
  };
  std::byte* const checksum_field = out + ip_offset_ + kUdpChecksumOffset;
  std::uint16_t checksum = wire::load_big_endian16(checksum_field);
  const std::size_t l4 = l4_offset();
  for (std::size_t at = l4 + ((first - l4) & ~std::size_t{1}); at < last; at += 2) {
    const std::uint16_t old_word = word_at(at);
    for (std::size_t byte = std::max(at, first); byte < std::min(at + 2, last); ++byte) {
      out[byte] = static_cast<std::byte>(cookie >> (8 * (last - 1 - byte)));
    }
    checksum = checksum_update16(checksum, old_word, word_at(at));
  }
  if (checksum == 0) checksum = 0xFFFF;  // RFC 768: zero means "no checksum"
  wire::store_big_endian16(checksum_field, checksum);
}

}  // namespace synscan::packet
