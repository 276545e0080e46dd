#pragma once
// Test-only frame assembly, independent of the library: byte arrays written field by field and a
// reference checksum kept as plain as possible (RFC 1071 section 4.1 done with 32-bit sums), so
// that library output is compared with something it did not compute itself.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

namespace synscan::packet::test {

using Bytes = std::vector<std::byte>;

inline void append8(Bytes& bytes, unsigned value) {
  bytes.push_back(std::byte(value & 0xFF));
}
inline void append16(Bytes& bytes, unsigned value) {
  append8(bytes, value >> 8);
  append8(bytes, value);
}
inline void append32(Bytes& bytes, std::uint32_t value) {
  append16(bytes, value >> 16);
  append16(bytes, value & 0xFFFF);
}
inline void append(Bytes& bytes, std::span<const std::byte> more) {
  bytes.insert(bytes.end(), more.begin(), more.end());
}
inline void append(Bytes& bytes, std::initializer_list<unsigned> more) {
  for (const unsigned value : more) append8(bytes, value);
}
inline void set16(Bytes& bytes, std::size_t offset, unsigned value) {
  bytes[offset] = std::byte((value >> 8) & 0xFF);
  bytes[offset + 1] = std::byte(value & 0xFF);
}
inline unsigned get16(std::span<const std::byte> bytes, std::size_t offset) {
  return std::to_integer<unsigned>(bytes[offset]) << 8 |
         std::to_integer<unsigned>(bytes[offset + 1]);
}

/// RFC 1071 reference: 32-bit sum of big-endian words (odd byte padded), carries folded, then
/// complemented. `initial` is a pseudo-header sum.
inline std::uint16_t reference_checksum(std::span<const std::byte> bytes,
                                        std::uint32_t initial = 0) {
  std::uint32_t sum = initial;
  for (std::size_t index = 0; index < bytes.size(); index += 2) {
    std::uint32_t word = std::to_integer<std::uint32_t>(bytes[index]) << 8;
    if (index + 1 < bytes.size()) word |= std::to_integer<std::uint32_t>(bytes[index + 1]);
    sum += word;
  }
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xFFFF);
}

inline std::uint32_t pseudo_header_sum(std::uint32_t source, std::uint32_t destination,
                                       unsigned protocol, std::size_t l4_length) {
  return (source >> 16) + (source & 0xFFFF) + (destination >> 16) + (destination & 0xFFFF) +
         protocol + static_cast<std::uint32_t>(l4_length);
}

struct MacPair {
  std::uint8_t destination[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
  std::uint8_t source[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
};

inline Bytes ethernet_header(unsigned ethertype, const MacPair& macs = {}) {
  Bytes bytes;
  for (const std::uint8_t octet : macs.destination) append8(bytes, octet);
  for (const std::uint8_t octet : macs.source) append8(bytes, octet);
  append16(bytes, ethertype);
  return bytes;
}

struct Ipv4Fields {
  std::uint32_t source = 0;
  std::uint32_t destination = 0;
  unsigned protocol = 6;
  unsigned ttl = 64;
  unsigned identification = 0;
  unsigned flags_and_fragment_offset = 0;
  unsigned tos = 0;
  Bytes options = {};  ///< multiple of 4 bytes
};

/// IPv4 header (checksum filled) for `l4_length` bytes of payload.
inline Bytes ipv4_header(const Ipv4Fields& fields, std::size_t l4_length) {
  Bytes bytes;
  const std::size_t header_length = 20 + fields.options.size();
  append8(bytes, 0x40 | static_cast<unsigned>(header_length / 4));
  append8(bytes, fields.tos);
  append16(bytes, static_cast<unsigned>(header_length + l4_length));
  append16(bytes, fields.identification);
  append16(bytes, fields.flags_and_fragment_offset);
  append8(bytes, fields.ttl);
  append8(bytes, fields.protocol);
  append16(bytes, 0);
  append32(bytes, fields.source);
  append32(bytes, fields.destination);
  append(bytes, fields.options);
  set16(bytes, 10, reference_checksum(bytes));
  return bytes;
}

struct TcpFields {
  unsigned source_port = 0;
  unsigned destination_port = 0;
  std::uint32_t sequence = 0;
  std::uint32_t acknowledgment = 0;
  unsigned flags = 0;
  unsigned window = 0;
  Bytes options = {};  ///< multiple of 4 bytes
};

/// TCP header (checksum over the pseudo-header filled).
inline Bytes tcp_segment(std::uint32_t source_ip, std::uint32_t destination_ip,
                         const TcpFields& fields) {
  Bytes bytes;
  append16(bytes, fields.source_port);
  append16(bytes, fields.destination_port);
  append32(bytes, fields.sequence);
  append32(bytes, fields.acknowledgment);
  append8(bytes, static_cast<unsigned>((20 + fields.options.size()) / 4) << 4);
  append8(bytes, fields.flags);
  append16(bytes, fields.window);
  append16(bytes, 0);  // checksum
  append16(bytes, 0);  // urgent pointer
  append(bytes, fields.options);
  set16(bytes, 16,
        reference_checksum(bytes, pseudo_header_sum(source_ip, destination_ip, 6, bytes.size())));
  return bytes;
}

/// UDP datagram; a computed checksum of 0 is sent as 0xFFFF (RFC 768).
inline Bytes udp_datagram(std::uint32_t source_ip, std::uint32_t destination_ip,
                          unsigned source_port, unsigned destination_port,
                          std::span<const std::byte> payload) {
  Bytes bytes;
  append16(bytes, source_port);
  append16(bytes, destination_port);
  append16(bytes, static_cast<unsigned>(8 + payload.size()));
  append16(bytes, 0);
  append(bytes, payload);
  std::uint16_t checksum =
      reference_checksum(bytes, pseudo_header_sum(source_ip, destination_ip, 17, bytes.size()));
  if (checksum == 0) checksum = 0xFFFF;
  set16(bytes, 6, checksum);
  return bytes;
}

/// ICMP error message (type, code, 4 unused bytes, quote) with its checksum.
inline Bytes icmp_error(unsigned type, unsigned code, std::span<const std::byte> quote) {
  Bytes bytes;
  append8(bytes, type);
  append8(bytes, code);
  append16(bytes, 0);
  append32(bytes, 0);
  append(bytes, quote);
  set16(bytes, 2, reference_checksum(bytes));
  return bytes;
}

/// Ethernet + IPv4 + `l4` as one frame.
inline Bytes frame_of(const Ipv4Fields& ip, std::span<const std::byte> l4,
                      unsigned ethertype = 0x0800) {
  Bytes frame = ethernet_header(ethertype);
  append(frame, ipv4_header(ip, l4.size()));
  append(frame, l4);
  return frame;
}

// ---- IPv6 ----------------------------------------------------------------------------------

using Address6 = std::array<std::byte, 16>;

/// An address from its eight text groups (2001:2::1 is {0x2001, 2, 0, 0, 0, 0, 0, 1}).
inline Address6 address6(std::initializer_list<unsigned> groups) {
  Address6 bytes{};
  std::size_t index = 0;
  for (const unsigned group : groups) {
    bytes[index++] = std::byte((group >> 8) & 0xFF);
    bytes[index++] = std::byte(group & 0xFF);
  }
  return bytes;
}

/// RFC 8200 section 8.1 pseudo-header: both addresses, 32-bit upper-layer length, next header.
inline std::uint32_t pseudo_header_sum6(const Address6& source, const Address6& destination,
                                        unsigned next_header, std::size_t l4_length) {
  std::uint32_t sum = 0;
  for (std::size_t index = 0; index < 16; index += 2) {
    sum += get16(source, index) + get16(destination, index);
  }
  sum += static_cast<std::uint32_t>(l4_length >> 16) +
         static_cast<std::uint32_t>(l4_length & 0xFFFF);
  return sum + next_header;
}

struct Ipv6Fields {
  Address6 source{};
  Address6 destination{};
  unsigned next_header = 6;
  unsigned hop_limit = 64;
  unsigned traffic_class = 0;
  std::uint32_t flow_label = 0;
};

/// IPv6 fixed header for `payload_length` bytes after it.
inline Bytes ipv6_header(const Ipv6Fields& fields, std::size_t payload_length) {
  Bytes bytes;
  append32(bytes, 6u << 28 | (fields.traffic_class & 0xFF) << 20 | (fields.flow_label & 0xFFFFF));
  append16(bytes, static_cast<unsigned>(payload_length));
  append8(bytes, fields.next_header);
  append8(bytes, fields.hop_limit);
  append(bytes, fields.source);
  append(bytes, fields.destination);
  return bytes;
}

inline Bytes tcp_segment6(const Address6& source, const Address6& destination,
                          const TcpFields& fields) {
  Bytes bytes = tcp_segment(0, 0, fields);
  set16(bytes, 16, 0);
  set16(bytes, 16,
        reference_checksum(bytes, pseudo_header_sum6(source, destination, 6, bytes.size())));
  return bytes;
}

/// UDP over IPv6; a computed checksum of 0 is sent as 0xFFFF.
inline Bytes udp_datagram6(const Address6& source, const Address6& destination,
                           unsigned source_port, unsigned destination_port,
                           std::span<const std::byte> payload) {
  Bytes bytes = udp_datagram(0, 0, source_port, destination_port, payload);
  set16(bytes, 6, 0);
  std::uint16_t checksum =
      reference_checksum(bytes, pseudo_header_sum6(source, destination, 17, bytes.size()));
  if (checksum == 0) checksum = 0xFFFF;
  set16(bytes, 6, checksum);
  return bytes;
}

/// ICMPv6 message (type, code, 4 bytes of `word`, body) with its checksum over the pseudo-header.
inline Bytes icmpv6_message(const Address6& source, const Address6& destination, unsigned type,
                            unsigned code, std::uint32_t word, std::span<const std::byte> body) {
  Bytes bytes;
  append8(bytes, type);
  append8(bytes, code);
  append16(bytes, 0);
  append32(bytes, word);
  append(bytes, body);
  set16(bytes, 2,
        reference_checksum(bytes, pseudo_header_sum6(source, destination, 58, bytes.size())));
  return bytes;
}

/// Ethernet (ethertype 86DD) + IPv6 + `payload` as one frame.
inline Bytes frame_of6(const Ipv6Fields& ip, std::span<const std::byte> payload,
                       unsigned ethertype = 0x86DD) {
  Bytes frame = ethernet_header(ethertype);
  append(frame, ipv6_header(ip, payload.size()));
  append(frame, payload);
  return frame;
}

inline std::span<const std::byte> as_bytes(const Bytes& bytes) {
  return bytes;
}

}  // namespace synscan::packet::test
