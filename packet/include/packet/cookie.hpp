#pragma once
/// Stateless probe validation: a keyed SipHash-2-4 over the probe's 4-tuple.
///
/// The sequence number of each SYN (and the source port, when a range is used) is derived from a
/// per-scan random key, so a reply proves it answers one of our probes without any per-probe
/// state: a SYN-ACK is ours iff ack - 1 == cookie. One hash per probe yields both values.
#include <cstddef>
#include <cstdint>
#include <span>

#include "packet/reply.hpp"

namespace synscan::packet {

struct SipKey {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;
  /// 128 bits from the OS CSPRNG (getrandom). Throws std::system_error if unavailable.
  static SipKey random();
};

/// Reference SipHash-2-4 (Aumasson & Bernstein) of arbitrary bytes, for known-answer tests.
[[nodiscard]] std::uint64_t siphash24(const SipKey& key, std::span<const std::byte> data) noexcept;

/// The range of source ports probes are sent from.
struct SourcePortRange {
  std::uint16_t first = 40000;
  std::uint16_t count = 16384;  ///< >= 1; count == 1 pins the source port (-g)
  [[nodiscard]] bool contains(std::uint16_t port) const noexcept {
    return port >= first && static_cast<std::uint32_t>(port) < std::uint32_t{first} + count;
  }
};

/// What one probe carries: the source port it is sent from and its 32-bit cookie (the TCP initial
/// sequence number; for UDP, what protocols that echo an id get).
struct ProbeCookie {
  std::uint16_t source_port;
  std::uint32_t sequence;
};

/// Result of validating a reply against our cookie.
enum class Validation : std::uint8_t { kValid, kWrongPort, kWrongCookie, kNotOurs };

class Cookie {
 public:
  /// A range with count 0 is used as count 1, and one running past port 65535 is shortened to
  /// end there (source_ports() returns the range in use).
  Cookie(SipKey key, std::uint32_t scanner_ip, SourcePortRange ports) noexcept;

  /// Source port and cookie of the probe to (target_ip, target_port): one SipHash-2-4 of the key,
  /// our address, the target and the pinned source port (if any). Depends only on those, so a
  /// reply can be checked against it without per-probe state.
  [[nodiscard]] ProbeCookie probe(std::uint32_t target_ip, std::uint16_t target_port) const noexcept;

  /// SYN-ACK: destined to us, from a port we probed, acknowledgment == cookie + 1.
  [[nodiscard]] Validation validate_syn_ack(const Reply& reply) const noexcept;
  /// RST in reply to our SYN, RFC 793 SYN-SENT acceptance: ACK bit set and ack == cookie + 1.
  [[nodiscard]] Validation validate_rst(const Reply& reply) const noexcept;
  /// UDP reply: from the probed port to the source port the cookie selects for that target.
  [[nodiscard]] Validation validate_udp(const Reply& reply) const noexcept;
  /// ICMP error: the quote is one of our probes (our address, the cookie's source port and, for
  /// TCP, the cookie's sequence number).
  [[nodiscard]] Validation validate_icmp_quote(const Reply& reply) const noexcept;

  [[nodiscard]] std::uint32_t scanner_ip() const noexcept { return scanner_ip_; }
  [[nodiscard]] SourcePortRange source_ports() const noexcept { return ports_; }

 private:
  SipKey key_;
  std::uint32_t scanner_ip_;
  SourcePortRange ports_;
};

}  // namespace synscan::packet
