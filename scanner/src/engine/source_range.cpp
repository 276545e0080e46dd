#include "engine/source_range.hpp"

#include <algorithm>
#include <cstring>

#include "packet/checksum.hpp"

namespace synscan::scanner::engine {
namespace {

std::uint32_t load32(const std::byte* at) noexcept {
  return std::uint32_t{std::to_integer<std::uint8_t>(at[0])} << 24 |
         std::uint32_t{std::to_integer<std::uint8_t>(at[1])} << 16 |
         std::uint32_t{std::to_integer<std::uint8_t>(at[2])} << 8 | std::to_integer<std::uint8_t>(at[3]);
}
std::uint16_t load16(const std::byte* at) noexcept {
  return static_cast<std::uint16_t>(std::to_integer<std::uint8_t>(at[0]) << 8 |
                                    std::to_integer<std::uint8_t>(at[1]));
}
void store32(std::byte* at, std::uint32_t value) noexcept {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<std::byte>(value >> (24 - 8 * i));
}
void store16(std::byte* at, std::uint16_t value) noexcept {
  at[0] = static_cast<std::byte>(value >> 8);
  at[1] = static_cast<std::byte>(value);
}

constexpr std::size_t kArpFrameSize = 42;  // Ethernet 14 + ARP for IPv4 over Ethernet 28

}  // namespace

void rewrite_source(std::span<std::byte> frame, std::size_t ip_offset, std::uint32_t source) noexcept {
  if (frame.size() < ip_offset + 20) return;
  std::byte* ip = frame.data() + ip_offset;
  const std::uint32_t old_source = load32(ip + 12);
  if (old_source == source) return;
  store16(ip + 10, packet::checksum_update32(load16(ip + 10), old_source, source));
  store32(ip + 12, source);
  const std::size_t l4 = ip_offset + 4 * (std::to_integer<std::uint8_t>(ip[0]) & 0x0F);
  const std::uint8_t protocol = std::to_integer<std::uint8_t>(ip[9]);
  // The TCP/UDP checksum covers the source address through the pseudo-header; a UDP checksum
  // of 0 means none was computed.
  const std::size_t field = protocol == 6 ? l4 + 16 : protocol == 17 ? l4 + 6 : 0;
  if (field == 0 || frame.size() < field + 2) return;
  const std::uint16_t checksum = load16(frame.data() + field);
  if (protocol == 17 && checksum == 0) return;
  std::uint16_t updated = packet::checksum_update32(checksum, old_source, source);
  if (protocol == 17 && updated == 0) updated = 0xFFFF;
  store16(frame.data() + field, updated);
}

std::size_t arp_reply_for(std::span<const std::byte> frame, std::uint32_t first, std::uint32_t count,
                          const net::MacAddress& mac, std::span<std::byte> reply) noexcept {
  if (frame.size() < kArpFrameSize || reply.size() < kArpFrameSize) return 0;
  const std::byte* arp = frame.data() + 14;
  // Ethernet type ARP; hardware Ethernet, protocol IPv4, sizes 6 and 4, operation request.
  if (load16(frame.data() + 12) != 0x0806 || load16(arp) != 1 || load16(arp + 2) != 0x0800 ||
      std::to_integer<std::uint8_t>(arp[4]) != 6 || std::to_integer<std::uint8_t>(arp[5]) != 4 ||
      load16(arp + 6) != 1) {
    return 0;
  }
  const std::uint32_t wanted = load32(arp + 24);
  if (wanted - first >= count) return 0;
  std::byte* out = reply.data();
  const auto* our_mac = reinterpret_cast<const std::byte*>(mac.data());
  std::memcpy(out, arp + 8, 6);        // to the requester's hardware address
  std::memcpy(out + 6, our_mac, 6);
  store16(out + 12, 0x0806);
  std::byte* answer = out + 14;
  std::memcpy(answer, arp, 6);         // hardware and protocol types and sizes, as asked
  store16(answer + 6, 2);              // reply
  std::memcpy(answer + 8, our_mac, 6);
  store32(answer + 14, wanted);
  std::memcpy(answer + 18, arp + 8, 10);  // the requester's hardware and protocol addresses
  return kArpFrameSize;
}

}  // namespace synscan::scanner::engine
