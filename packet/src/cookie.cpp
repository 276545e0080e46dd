// SipHash-2-4 cookies. Written from the paper (Aumasson & Bernstein, "SipHash: a fast short-input
// PRF", 2012): little-endian 64-bit message words, the last word carrying the message length in
// its top byte, two compression rounds per word and four finalisation rounds.
//
// One hash per probe gives both values: its low 32 bits are the sequence number (the cookie), its
// high 32 bits pick the source port from the range. The message is the probe's 4-tuple as far as
// it is known before the hash:
//   scanner_ip (4, big-endian) | target_ip (4) | target_port (2) | pinned source port (2)   12 bytes
// where the pinned source port is the -g port, or 0 when the port comes from a range (it is then
// an output of the hash, not an input). `probe` assembles the two message words directly instead
// of going through a byte buffer; the unit tests check it equals the generic `siphash24` over
// that packing. One hash instead of a port hash plus a sequence hash: 8 SipRounds per probe, not 14.
// IPv6 probes hash scanner_ipv6 (16) | target_ipv6 (16) | target_port (2) | pinned port (2), 36
// bytes; the scanner's two words are the same for every probe and absorbed once, leaving three
// compressions per probe (10 SipRounds).
#include "packet/cookie.hpp"

#include <sys/random.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <system_error>

namespace synscan::packet {
namespace {

struct SipState {
  std::uint64_t v0, v1, v2, v3;

  explicit SipState(const SipKey& key) noexcept
      : v0(key.k0 ^ 0x736f6d6570736575ULL),
        v1(key.k1 ^ 0x646f72616e646f6dULL),
        v2(key.k0 ^ 0x6c7967656e657261ULL),
        v3(key.k1 ^ 0x7465646279746573ULL) {}
  explicit SipState(const std::uint64_t (&saved)[4]) noexcept
      : v0(saved[0]), v1(saved[1]), v2(saved[2]), v3(saved[3]) {}

  void round() noexcept {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }

  // SipHash-2-4: c = 2 rounds per message word.
  void compress(std::uint64_t word) noexcept {
    v3 ^= word;
    round();
    round();
    v0 ^= word;
  }

  // d = 4 finalisation rounds.
  [[nodiscard]] std::uint64_t finish() noexcept {
    v2 ^= 0xFF;
    round();
    round();
    round();
    round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

[[nodiscard]] inline std::uint64_t byte_at(std::span<const std::byte> data,
                                           std::size_t index) noexcept {
  return std::to_integer<std::uint64_t>(data[index]);
}

// Bytes of a big-endian field, laid out in memory order, as a little-endian word fragment: a byte
// swap of the value.
[[nodiscard]] inline std::uint64_t memory_order32(std::uint32_t value) noexcept {
  return __builtin_bswap32(value);
}
[[nodiscard]] inline std::uint64_t memory_order16(std::uint16_t value) noexcept {
  return __builtin_bswap16(value);
}

// SipHash-2-4 of the 12-byte message scanner_ip | target_ip | target_port | pinned_port.
[[nodiscard]] inline std::uint64_t hash_probe(const SipKey& key, std::uint32_t scanner_ip,
                                              std::uint32_t target_ip, std::uint16_t target_port,
                                              std::uint16_t pinned_port) noexcept {
  SipState state(key);
  state.compress(memory_order32(scanner_ip) | memory_order32(target_ip) << 32);
  state.compress(memory_order16(target_port) | memory_order16(pinned_port) << 16 |
                 std::uint64_t{12} << 56);
  return state.finish();
}

// Little-endian 64-bit message word from 8 address bytes (SipHash reads the message that way).
[[nodiscard]] inline std::uint64_t little_endian_word(const std::byte* bytes) noexcept {
  std::uint64_t word = 0;
  for (std::size_t index = 0; index < 8; ++index) {
    word |= std::to_integer<std::uint64_t>(bytes[index]) << (8 * index);
  }
  return word;
}

// The IPv6 message, 36 bytes: scanner_ipv6 (16) | target_ipv6 (16) | target_port (2) | pinned
// port (2). `prefix` is the state after the scanner's two words (the same for every probe);
// absorb_target adds the target's two, finish_probe6 the last word and the finalisation.
[[nodiscard]] inline SipState absorb_target(SipState state, Ipv6View target_ip) noexcept {
  state.compress(little_endian_word(target_ip.data()));
  state.compress(little_endian_word(target_ip.data() + 8));
  return state;
}

[[nodiscard]] inline std::uint64_t finish_probe6(SipState state, std::uint16_t target_port,
                                                 std::uint16_t pinned_port) noexcept {
  state.compress(memory_order16(target_port) | memory_order16(pinned_port) << 16 |
                 std::uint64_t{36} << 56);
  return state.finish();
}

// Clamps a range so that `count` is at least 1 (no division by zero) and the last port is at most
// 65535 (no wrap-around into low ports).
[[nodiscard]] SourcePortRange clamp(SourcePortRange ports) noexcept {
  const std::uint32_t available = 65536u - ports.first;
  if (ports.count == 0) ports.count = 1;
  if (ports.count > available) ports.count = static_cast<std::uint16_t>(available);
  return ports;
}

}  // namespace

SipKey SipKey::random() {
  std::uint64_t words[2];
  auto* bytes = static_cast<unsigned char*>(static_cast<void*>(words));
  std::size_t filled = 0;
  while (filled < sizeof words) {
    const ssize_t got = getrandom(bytes + filled, sizeof words - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    filled += static_cast<std::size_t>(got);
  }
  return SipKey{words[0], words[1]};
}

std::uint64_t siphash24(const SipKey& key, std::span<const std::byte> data) noexcept {
  SipState state(key);
  const std::size_t whole_words = data.size() / 8;
  for (std::size_t word = 0; word < whole_words; ++word) {
    std::uint64_t value = 0;
    for (std::size_t index = 0; index < 8; ++index) {
      value |= byte_at(data, word * 8 + index) << (8 * index);
    }
    state.compress(value);
  }
  std::uint64_t last = static_cast<std::uint64_t>(data.size() & 0xFF) << 56;
  for (std::size_t index = whole_words * 8; index < data.size(); ++index) {
    last |= byte_at(data, index) << (8 * (index - whole_words * 8));
  }
  state.compress(last);
  return state.finish();
}

Cookie::Cookie(SipKey key, std::uint32_t scanner_ip, SourcePortRange ports) noexcept
    : Cookie(key, scanner_ip, ports, Ipv6Bytes{}) {}

Cookie::Cookie(SipKey key, std::uint32_t scanner_ip, SourcePortRange ports,
               Ipv6View scanner_ipv6) noexcept
    : key_(key), scanner_ip_(scanner_ip), ports_(clamp(ports)) {
  std::copy(scanner_ipv6.begin(), scanner_ipv6.end(), scanner_ipv6_.begin());
  SipState prefix(key_);
  prefix.compress(little_endian_word(scanner_ipv6_.data()));
  prefix.compress(little_endian_word(scanner_ipv6_.data() + 8));
  ipv6_prefix_state_[0] = prefix.v0;
  ipv6_prefix_state_[1] = prefix.v1;
  ipv6_prefix_state_[2] = prefix.v2;
  ipv6_prefix_state_[3] = prefix.v3;
}

ProbeCookie Cookie::probe(std::uint32_t target_ip, std::uint16_t target_port) const noexcept {
  const bool pinned = ports_.count == 1;
  const std::uint64_t hash =
      hash_probe(key_, scanner_ip_, target_ip, target_port, pinned ? ports_.first : 0);
  const auto port = static_cast<std::uint16_t>(
      pinned ? ports_.first : ports_.first + (hash >> 32) % ports_.count);
  return {port, static_cast<std::uint32_t>(hash)};
}

ProbeCookie Cookie::probe(Ipv6View target_ip, std::uint16_t target_port) const noexcept {
  return probe(target_state(target_ip), target_port);
}

Cookie::Ipv6TargetState Cookie::target_state(Ipv6View target_ip) const noexcept {
  const SipState state = absorb_target(SipState(ipv6_prefix_state_), target_ip);
  return {{state.v0, state.v1, state.v2, state.v3}};
}

ProbeCookie Cookie::probe(const Ipv6TargetState& state, std::uint16_t target_port) const noexcept {
  const bool pinned = ports_.count == 1;
  const std::uint64_t hash =
      finish_probe6(SipState(state.words), target_port, pinned ? ports_.first : 0);
  const auto port = static_cast<std::uint16_t>(
      pinned ? ports_.first : ports_.first + (hash >> 32) % ports_.count);
  return {port, static_cast<std::uint32_t>(hash)};
}

bool Cookie::addressed_to_us(const Reply& reply) const noexcept {
  return reply.ip_version == 6 ? reply.destination_ipv6 == scanner_ipv6_
                               : reply.destination_ip - scanner_ip_ < source_count_;
}

ProbeCookie Cookie::sender_probe(const Reply& reply) const noexcept {
  return reply.ip_version == 6 ? probe(reply.source_ipv6, reply.source_port)
                               : probe(reply.source_ip, reply.source_port);
}

Validation Cookie::validate_syn_ack(const Reply& reply) const noexcept {
  constexpr std::uint8_t kSynAck = tcp_flags::kSyn | tcp_flags::kAck;
  if (reply.protocol != kProtocolTcp || (reply.tcp_flags & kSynAck) != kSynAck ||
      (reply.tcp_flags & tcp_flags::kRst) != 0 || !addressed_to_us(reply)) {
    return Validation::kNotOurs;
  }
  const ProbeCookie cookie = sender_probe(reply);
  if (reply.destination_port != cookie.source_port) return Validation::kWrongPort;
  return reply.tcp_acknowledgment == cookie.sequence + 1 ? Validation::kValid
                                                         : Validation::kWrongCookie;
}

Validation Cookie::validate_rst(const Reply& reply) const noexcept {
  if (reply.protocol != kProtocolTcp || (reply.tcp_flags & tcp_flags::kRst) == 0 ||
      !addressed_to_us(reply)) {
    return Validation::kNotOurs;
  }
  const ProbeCookie cookie = sender_probe(reply);
  if (reply.destination_port != cookie.source_port) return Validation::kWrongPort;
  // RFC 793, SYN-SENT: a RST is acceptable only with ACK set acknowledging our SYN. A RST without
  // ACK proves nothing about our cookie.
  if ((reply.tcp_flags & tcp_flags::kAck) == 0) return Validation::kWrongCookie;
  return reply.tcp_acknowledgment == cookie.sequence + 1 ? Validation::kValid
                                                         : Validation::kWrongCookie;
}

Validation Cookie::validate_udp(const Reply& reply) const noexcept {
  if (reply.protocol != kProtocolUdp || !addressed_to_us(reply)) return Validation::kNotOurs;
  return reply.destination_port == sender_probe(reply).source_port
             ? Validation::kValid
             : Validation::kWrongPort;
}

Validation Cookie::validate_icmp_quote(const Reply& reply) const noexcept {
  const IcmpQuote& quote = reply.quote;
  // Both the ICMP error and the datagram it quotes must involve us: the error is addressed to the
  // scanner and the quoted probe was sent from it.
  const bool ipv6 = reply.ip_version == 6;
  const bool quote_from_us =
      ipv6 ? quote.source_ipv6 == scanner_ipv6_ : quote.source_ip - scanner_ip_ < source_count_;
  if (reply.protocol != (ipv6 ? kProtocolIcmpv6 : kProtocolIcmp) || !addressed_to_us(reply) ||
      !quote_from_us || (quote.protocol != kProtocolTcp && quote.protocol != kProtocolUdp)) {
    return Validation::kNotOurs;
  }
  const ProbeCookie cookie = ipv6 ? probe(quote.destination_ipv6, quote.destination_port)
                                  : probe(quote.destination_ip, quote.destination_port);
  if (quote.source_port != cookie.source_port) return Validation::kWrongPort;
  if (quote.protocol == kProtocolTcp && quote.tcp_sequence != cookie.sequence) {
    return Validation::kWrongCookie;
  }
  return Validation::kValid;
}

}  // namespace synscan::packet
