// Setup helpers shared by the IPv4 and IPv6 probe templates (see template_building.hpp).
#include "template_building.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "packet/checksum.hpp"
#include "wire_bytes.hpp"

namespace synscan::packet::building {

LibnetContext open_builder() {
  char error[LIBNET_ERRBUF_SIZE] = {};
  LibnetContext context(libnet_init(LIBNET_NONE, nullptr, error));
  if (!context) throw TemplateError(std::string("libnet_init: ") + error);
  return context;
}

void check_ptag(libnet_t* context, libnet_ptag_t tag, const char* what) {
  if (tag == -1) throw TemplateError(std::string(what) + ": " + libnet_geterror(context));
}

void build_tcp_syn(libnet_t* context, const TcpSynOptions& options) {
  // libnet wants the options block before the TCP header it belongs to.
  const std::uint8_t mss_option[kTcpMssOptionSize] = {
      2, 4, static_cast<std::uint8_t>(options.mss >> 8), static_cast<std::uint8_t>(options.mss)};
  check_ptag(context, libnet_build_tcp_options(mss_option, sizeof mss_option, context, 0),
             "libnet_build_tcp_options");
  check_ptag(context,
             libnet_build_tcp(/*sp=*/0, /*dp=*/0, /*seq=*/0, /*ack=*/0, TH_SYN, options.window,
                              /*sum=*/0, /*urg=*/0, kTcpSynSize, nullptr, 0, context, 0),
             "libnet_build_tcp");
}

void build_udp(libnet_t* context, std::span<const std::byte> payload) {
  const std::size_t udp_size = kUdpHeaderSize + payload.size();
  // libnet copies the payload; it takes uint8_t, the same object representation as std::byte.
  const auto* payload_bytes =
      payload.empty() ? nullptr
                      : static_cast<const std::uint8_t*>(static_cast<const void*>(payload.data()));
  check_ptag(
      context,
      libnet_build_udp(/*sp=*/0, /*dp=*/0, static_cast<std::uint16_t>(udp_size), /*sum=*/0,
                       payload_bytes, static_cast<std::uint32_t>(payload.size()), context, 0),
      "libnet_build_udp");
}

std::vector<std::byte> finish_frame(libnet_t* context, const FrameAddressing& addressing,
                                    std::uint16_t ethertype, std::size_t expected_size) {
  if (addressing.link_header == LinkHeader::kEthernet) {
    check_ptag(
        context,
        libnet_build_ethernet(addressing.destination_mac.data(), addressing.source_mac.data(),
                              ethertype, nullptr, 0, context, 0),
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
  if (packet_size != expected_size) {
    throw TemplateError("libnet built a " + std::to_string(packet_size) + "-byte frame, expected " +
                        std::to_string(expected_size));
  }
  std::vector<std::byte> frame(packet_size);
  std::memcpy(frame.data(), packet, packet_size);
  return frame;
}

void write_udp_cookie(std::byte* out, std::size_t frame_size, const EchoField& field,
                      std::uint32_t cookie) noexcept {
  const std::size_t first = field.offset, last = field.offset + field.width;  // [first, last)
  const auto word_at = [&](std::size_t at) {
    const unsigned high = std::to_integer<unsigned>(out[at]);
    const unsigned low = at + 1 < frame_size ? std::to_integer<unsigned>(out[at + 1]) : 0;
    return static_cast<std::uint16_t>(high << 8 | low);
  };
  std::byte* const checksum_field = out + field.l4_offset + 6;
  std::uint16_t checksum = wire::load_big_endian16(checksum_field);
  const std::size_t l4 = field.l4_offset;
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

}  // namespace synscan::packet::building
