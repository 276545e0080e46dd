// SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012), written from the
// paper's description, and the probe cookies built on it.
#include "packet/cookie.hpp"

#include <sys/random.h>

#include <bit>
#include <cerrno>
#include <system_error>

namespace synscan::packet {
namespace {

struct SipState {
  std::uint64_t v0, v1, v2, v3;

  explicit SipState(const SipKey& key) noexcept
      : v0(key.k0 ^ 0x736f6d6570736575ull),
        v1(key.k1 ^ 0x646f72616e646f6dull),
        v2(key.k0 ^ 0x6c7967656e657261ull),
        v3(key.k1 ^ 0x7465646279746573ull) {}

  void round() noexcept {
    v0 += v1, v1 = std::rotl(v1, 13), v1 ^= v0, v0 = std::rotl(v0, 32);
    v2 += v3, v3 = std::rotl(v3, 16), v3 ^= v2;
    v0 += v3, v3 = std::rotl(v3, 21), v3 ^= v0;
    v2 += v1, v1 = std::rotl(v1, 17), v1 ^= v2, v2 = std::rotl(v2, 32);
  }
  void compress(std::uint64_t word) noexcept {  // c = 2 rounds per message word
    v3 ^= word;
    round();
    round();
    v0 ^= word;
  }
  std::uint64_t finish() noexcept {  // d = 4 finalization rounds
    v2 ^= 0xff;
    round();
    round();
    round();
    round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

// Little-endian word of up to 8 bytes.
std::uint64_t load_little_endian(const std::byte* bytes, std::size_t count) noexcept {
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < count; ++i) word |= std::to_integer<std::uint64_t>(bytes[i]) << (8 * i);
  return word;
}

// SipHash of exactly 12 bytes given as a little-endian 64-bit word and a 32-bit word, the shape of
// every cookie input: no loop, no buffer. Equal to siphash24() over the same bytes (tested).
std::uint64_t siphash12(const SipKey& key, std::uint64_t first, std::uint32_t second) noexcept {
  SipState state(key);
  state.compress(first);
  state.compress(std::uint64_t{second} | (std::uint64_t{12} << 56));
  return state.finish();
}

}  // namespace

SipKey SipKey::random() {
  SipKey key;
  std::uint64_t words[2];
  std::size_t filled = 0;
  while (filled < sizeof words) {
    const ssize_t got = ::getrandom(reinterpret_cast<char*>(words) + filled, sizeof words - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    filled += static_cast<std::size_t>(got);
  }
  key.k0 = words[0];
  key.k1 = words[1];
  return key;
}

std::uint64_t siphash24(const SipKey& key, std::span<const std::byte> data) noexcept {
  SipState state(key);
  const std::size_t whole = data.size() / 8 * 8;
  for (std::size_t offset = 0; offset < whole; offset += 8) {
    state.compress(load_little_endian(data.data() + offset, 8));
  }
  const std::uint64_t last = load_little_endian(data.data() + whole, data.size() - whole) |
                             (static_cast<std::uint64_t>(data.size() & 0xFF) << 56);
  state.compress(last);
  return state.finish();
}

Cookie::Cookie(SipKey key, std::uint32_t scanner_ip, SourcePortRange ports) noexcept
    : key_(key), scanner_ip_(scanner_ip), ports_(ports.count == 0 ? SourcePortRange{ports.first, 1} : ports) {}

// Inputs are packed as the bytes (scanner ip, target ip, target port, source port) would be laid
// out little-endian; the exact packing only has to be the same on send and on validation.
std::uint16_t Cookie::source_port(std::uint32_t target_ip, std::uint16_t target_port) const noexcept {
  if (ports_.count == 1) return ports_.first;
  // A different domain than sequence(): source port 0 never occurs as a real one there.
  const std::uint64_t hash =
      siphash12(key_, std::uint64_t{scanner_ip_} | (std::uint64_t{target_ip} << 32), target_port);
  return static_cast<std::uint16_t>(ports_.first + hash % ports_.count);
}

std::uint32_t Cookie::sequence(std::uint32_t target_ip, std::uint16_t target_port,
                               std::uint16_t source_port) const noexcept {
  const std::uint64_t hash =
      siphash12(key_, std::uint64_t{scanner_ip_} | (std::uint64_t{target_ip} << 32),
                std::uint32_t{target_port} | (std::uint32_t{source_port} << 16) | 0u);
  return static_cast<std::uint32_t>(hash);
}

Validation Cookie::validate_syn_ack(const Reply& reply) const noexcept {
  if (reply.destination_ip != scanner_ip_) return Validation::kNotOurs;
  if (reply.destination_port != source_port(reply.source_ip, reply.source_port)) {
    return Validation::kWrongPort;
  }
  const std::uint32_t cookie = sequence(reply.source_ip, reply.source_port, reply.destination_port);
  return reply.tcp_acknowledgment - 1 == cookie ? Validation::kValid : Validation::kWrongCookie;
}

Validation Cookie::validate_rst(const Reply& reply) const noexcept {
  if (reply.destination_ip != scanner_ip_) return Validation::kNotOurs;
  if (reply.destination_port != source_port(reply.source_ip, reply.source_port)) {
    return Validation::kWrongPort;
  }
  // RFC 793, SYN-SENT: a reset is acceptable only if its ACK acknowledges our SYN.
  if (!(reply.tcp_flags & tcp_flags::kAck)) return Validation::kWrongCookie;
  const std::uint32_t cookie = sequence(reply.source_ip, reply.source_port, reply.destination_port);
  return reply.tcp_acknowledgment - 1 == cookie ? Validation::kValid : Validation::kWrongCookie;
}

Validation Cookie::validate_udp(const Reply& reply) const noexcept {
  if (reply.destination_ip != scanner_ip_) return Validation::kNotOurs;
  return reply.destination_port == source_port(reply.source_ip, reply.source_port) ? Validation::kValid
                                                                                   : Validation::kWrongPort;
}

Validation Cookie::validate_icmp_quote(const Reply& reply) const noexcept {
  const IcmpQuote& quote = reply.quote;
  if (reply.destination_ip != scanner_ip_ || quote.source_ip != scanner_ip_) return Validation::kNotOurs;
  if (quote.protocol != kProtocolTcp && quote.protocol != kProtocolUdp) return Validation::kNotOurs;
  if (quote.source_port != source_port(quote.destination_ip, quote.destination_port)) {
    return Validation::kWrongPort;
  }
  if (quote.protocol == kProtocolTcp &&
      quote.tcp_sequence != sequence(quote.destination_ip, quote.destination_port, quote.source_port)) {
    return Validation::kWrongCookie;
  }
  return Validation::kValid;
}

}  // namespace synscan::packet
