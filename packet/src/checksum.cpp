// Internet checksum (RFC 1071) and incremental update (RFC 1624).
#include "packet/checksum.hpp"

#include <algorithm>

#include "packet/reply.hpp"
#include "wire_bytes.hpp"

namespace synscan::packet {

std::uint32_t ones_complement_sum(std::span<const std::byte> bytes,
                                  std::uint32_t initial) noexcept {
  // A 64-bit accumulator cannot overflow for any span (2^48 words of 0xFFFF), so the fold happens
  // once at the end.
  std::uint64_t sum = initial;
  const std::size_t even_length = bytes.size() & ~std::size_t{1};
  for (std::size_t offset = 0; offset < even_length; offset += 2) {
    sum += wire::load_big_endian16(bytes.data() + offset);
  }
  if (bytes.size() != even_length) {
    sum += std::uint32_t{wire::load8(bytes.data() + even_length)} << 8;  // pad with a zero byte
  }
  return wire::fold_ones_complement(sum);
}

std::uint16_t internet_checksum(std::span<const std::byte> bytes, std::uint32_t initial) noexcept {
  return static_cast<std::uint16_t>(~ones_complement_sum(bytes, initial));
}

std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_word,
                                std::uint16_t new_word) noexcept {
  return wire::apply_checksum_delta(checksum, wire::word_delta(old_word, new_word));
}

std::uint16_t checksum_update32(std::uint16_t checksum, std::uint32_t old_value,
                                std::uint32_t new_value) noexcept {
  return wire::apply_checksum_delta(checksum, wire::word_delta32(old_value, new_value));
}

bool ipv4_checksums_valid(std::span<const std::byte> ipv4_packet) noexcept {
  if (ipv4_packet.size() < 20) return false;
  const std::byte* header = ipv4_packet.data();
  if (wire::load8(header) >> 4 != 4) return false;
  const std::size_t header_length = std::size_t{wire::load8(header) & 0x0Fu} * 4;
  const std::size_t total_length = wire::load_big_endian16(header + 2);
  if (header_length < 20 || total_length < header_length || total_length > ipv4_packet.size()) {
    return false;
  }
  // A correct header sums (checksum included) to -0, i.e. 0xFFFF.
  if (ones_complement_sum(ipv4_packet.first(header_length)) != 0xFFFF) return false;

  // Fragments carry only part of the L4 data: their L4 checksum cannot be checked here.
  const std::uint16_t flags_and_offset = wire::load_big_endian16(header + 6);
  const bool more_fragments = (flags_and_offset & 0x2000) != 0;
  const bool fragment_offset = (flags_and_offset & 0x1FFF) != 0;
  if (more_fragments || fragment_offset) return true;

  const std::uint8_t protocol = wire::load8(header + 9);
  const std::span<const std::byte> l4 =
      ipv4_packet.subspan(header_length, total_length - header_length);
  if (protocol == kProtocolIcmp) {
    return l4.size() >= 4 && ones_complement_sum(l4) == 0xFFFF;
  }
  if (protocol != kProtocolTcp && protocol != kProtocolUdp) return true;
  if (protocol == kProtocolTcp && l4.size() < 20) return false;
  if (protocol == kProtocolUdp) {
    if (l4.size() < 8) return false;
    if (wire::load_big_endian16(l4.data() + 6) == 0) return true;  // RFC 768: no checksum sent
  }
  // Pseudo-header: source, destination, zero + protocol, L4 length.
  std::uint32_t pseudo_header = protocol + static_cast<std::uint32_t>(l4.size());
  pseudo_header = ones_complement_sum(ipv4_packet.subspan(12, 8), pseudo_header);
  return ones_complement_sum(l4, pseudo_header) == 0xFFFF;
}

std::uint32_t ipv6_pseudo_header_sum(Ipv6View source, Ipv6View destination,
                                     std::uint32_t upper_layer_length,
                                     std::uint8_t next_header) noexcept {
  std::uint64_t sum = std::uint64_t{upper_layer_length >> 16} + (upper_layer_length & 0xFFFF) +
                      next_header;
  for (std::size_t at = 0; at < 16; at += 2) {
    sum += wire::load_big_endian16(source.data() + at);
    sum += wire::load_big_endian16(destination.data() + at);
  }
  return wire::fold_ones_complement(sum);
}

bool ipv6_checksums_valid(std::span<const std::byte> ipv6_packet) noexcept {
  if (ipv6_packet.size() < kIpv6HeaderSize) return false;
  const std::byte* header = ipv6_packet.data();
  if (wire::load8(header) >> 4 != 6) return false;
  const std::size_t payload_length = wire::load_big_endian16(header + 4);
  if (kIpv6HeaderSize + payload_length > ipv6_packet.size()) return false;
  const std::uint8_t next_header = wire::load8(header + 6);
  const std::span<const std::byte> l4 = ipv6_packet.subspan(kIpv6HeaderSize, payload_length);
  if (next_header != kProtocolTcp && next_header != kProtocolUdp &&
      next_header != kProtocolIcmpv6) {
    return true;
  }
  const std::size_t minimum =
      next_header == kProtocolTcp ? 20 : (next_header == kProtocolUdp ? 8 : 4);
  if (l4.size() < minimum) return false;
  if (next_header == kProtocolUdp && wire::load_big_endian16(l4.data() + 6) == 0) return false;
  const std::uint32_t pseudo_header = ipv6_pseudo_header_sum(
      ipv6_packet.subspan<8, 16>(), ipv6_packet.subspan<24, 16>(),
      static_cast<std::uint32_t>(l4.size()), next_header);
  return ones_complement_sum(l4, pseudo_header) == 0xFFFF;
}

}  // namespace synscan::packet
