#pragma once
/// Bounds-checked parsing of frames captured off the wire.
///
/// Contract: any byte sequence is safe input. Truncated frames, wrong IP version, an IHL smaller
/// than 5 or larger than the data, a total length that lies, are returned as a ParseStatus (a
/// counted reject), never read out of bounds.
#include <cstddef>
#include <cstdint>
#include <span>

#include "packet/ipv6.hpp"

namespace synscan::packet {

enum class ParseStatus : std::uint8_t {
  kOk,
  kTruncated,            ///< shorter than the headers it claims: the captured bytes (or the IPv4
                         ///< total length / IPv6 payload length) end before a header the parser
                         ///< needs
  kNotIp,                ///< ethertype neither IPv4 nor IPv6 (after at most two VLAN tags), or
                         ///< the IP version is not the one the link header announced
  kBadHeaderLength,      ///< IHL < 5 or beyond the captured data; also a TCP data offset < 5
                         ///< or beyond the IP payload the total/payload length claims, and an
                         ///< IPv6 extension header longer than the payload length claims
  kBadTotalLength,       ///< IPv4 total length < IHL*4; also a UDP length < 8. A total length
                         ///< beyond the captured data is accepted (snaplen), see below
  kFragment,             ///< non-first fragment (offset != 0): no L4 header to read
  kUnsupportedProtocol,  ///< not TCP, UDP, ICMP or ICMPv6 (after IPv6 extension headers; ESP
                         ///< and "no next header" included)
  kUnsupportedIcmp,      ///< ICMP that is neither dest-unreachable (3) nor time-exceeded (11);
                         ///< ICMPv6 that is neither dest-unreachable (1) nor time-exceeded (3):
                         ///< Packet Too Big, NDP, echo, ... (icmp_type/code are filled in)
  kBadQuote,             ///< ICMP error whose quoted IP header + 8 bytes is malformed/truncated,
                         ///< or quotes a non-first fragment (no ports to match)
  kTooManyExtensionHeaders,  ///< an IPv6 chain of more than kMaximumExtensionHeaders headers
  kNotIpv4 = kNotIp,     ///< the name from before IPv6; same value
};
inline constexpr std::size_t kParseStatusCount = 10;
/// IPv6 extension headers the parser walks before giving up (RFC 8200 allows each at most once
/// or twice; eight is already more than any real reply carries).
inline constexpr std::size_t kMaximumExtensionHeaders = 8;

/// TCP flag bits as on the wire.
namespace tcp_flags {
inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
}

/// The quoted original datagram inside an ICMP error (IPv4 header + first 8 bytes of L4), or
/// inside an ICMPv6 error (IPv6 header, extension headers skipped, + first 8 bytes of L4).
struct IcmpQuote {
  std::uint32_t source_ip = 0;       ///< IPv4 quote only
  std::uint32_t destination_ip = 0;  ///< IPv4 quote only
  Ipv6Bytes source_ipv6{};           ///< IPv6 quote only
  Ipv6Bytes destination_ipv6{};      ///< IPv6 quote only
  std::uint8_t protocol = 0;
  std::uint16_t source_port = 0;       ///< TCP/UDP only
  std::uint16_t destination_port = 0;  ///< TCP/UDP only
  std::uint32_t tcp_sequence = 0;      ///< TCP only: within the 8 quoted bytes
};

/// A parsed reply. Host byte order throughout (IPv6 addresses: network-order bytes). Fields not
/// meaningful for `ip_version` or `protocol` are zero.
struct Reply {
  std::uint8_t ip_version = 4;       ///< 4 or 6: which address fields below are meaningful
  std::uint32_t source_ip = 0;       ///< IPv4 only
  std::uint32_t destination_ip = 0;  ///< IPv4 only
  Ipv6Bytes source_ipv6{};           ///< IPv6 only
  Ipv6Bytes destination_ipv6{};      ///< IPv6 only
  std::uint8_t ttl = 0;              ///< IPv4 TTL or IPv6 hop limit
  std::uint8_t protocol = 0;  ///< 6 TCP, 17 UDP, 1 ICMP; IPv6: 58 ICMPv6 (after extension headers)

  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint32_t tcp_sequence = 0;
  std::uint32_t tcp_acknowledgment = 0;
  std::uint8_t tcp_flags = 0;
  std::span<const std::byte> udp_payload;  ///< view into the parsed buffer

  std::uint8_t icmp_type = 0;  ///< ICMP (protocol 1) or ICMPv6 (protocol 58) type
  std::uint8_t icmp_code = 0;
  IcmpQuote quote;  ///< valid when protocol == 1 or 58; its family is the reply's ip_version
};

inline constexpr std::uint8_t kProtocolIcmp = 1, kProtocolTcp = 6, kProtocolUdp = 17;

/// How a captured frame starts: the link types synscan captures on. The capture layer maps
/// pcap_datalink() onto these; the parser never sees a DLT number.
enum class LinkType : std::uint8_t {
  kEthernet,      ///< DLT_EN10MB: Ethernet II, optionally 802.1Q/802.1ad tagged
  kRawIp,         ///< DLT_RAW / LINKTYPE_IPV4: the IP header first (tun, WireGuard, PPP)
  kLinuxCooked,   ///< DLT_LINUX_SLL: 16-byte cooked header, protocol (ethertype) at offset 14
  kLinuxCooked2,  ///< DLT_LINUX_SLL2: 20-byte cooked header, protocol (ethertype) at offset 0
};

/// Parses a frame captured on a link of type `link` into its IP layer: dispatches to
/// parse_ethernet_frame, parse_ipv4_packet / parse_ipv6_packet (raw IP: by the version nibble) or
/// the cooked-header parsers. A cooked header whose protocol is neither IPv4 nor IPv6 is kNotIp.
[[nodiscard]] ParseStatus parse_captured_frame(LinkType link, std::span<const std::byte> frame,
                                               Reply& out) noexcept;
/// Parses an Ethernet II frame (optionally 802.1Q/802.1ad tagged) carrying IPv4 or IPv6.
[[nodiscard]] ParseStatus parse_ethernet_frame(std::span<const std::byte> frame, Reply& out) noexcept;
/// Parses a bare IPv4 packet (DLT_RAW, or after the link header).
///
/// Length policy: the datagram is the captured bytes cut to the IPv4 total length (Ethernet
/// padding is never read as data). A total length larger than the capture is accepted, since a
/// snaplen-limited capture looks exactly like it; such a packet is rejected (kTruncated) only when
/// a header the parser needs is missing. The UDP payload view is bounded by both the UDP length
/// and the captured bytes. Checksums are not verified (the cookie rejects corrupted replies).
/// `out` is reset first; on any status other than kOk its contents are unspecified.
[[nodiscard]] ParseStatus parse_ipv4_packet(std::span<const std::byte> packet, Reply& out) noexcept;

/// Parses a bare IPv6 packet (DLT_RAW, or after the link header) into `out` with ip_version 6.
///
/// Extension headers (hop-by-hop 0, routing 43, fragment 44, destination options 60, AH 51,
/// mobility 135, HIP 139, shim6 140) are skipped, at most kMaximumExtensionHeaders of them, each
/// bounds-checked; a non-first fragment is kFragment; ESP (50) and "no next header" (59) are
/// kUnsupportedProtocol. `protocol` is the header after the chain: TCP, UDP or ICMPv6 (58).
/// ICMPv6 destination unreachable (1) and time exceeded (3) carry their quote (IPv6 header,
/// extension headers skipped, 8 bytes of L4) in `quote`; every other ICMPv6 type (Packet Too
/// Big, NDP 133-137, echo) is kUnsupportedIcmp, never an answer. Length policy as for IPv4, with
/// the payload length in place of the total length: the datagram is the captured bytes cut to
/// 40 + payload length; a payload length beyond the capture is accepted (snaplen) until a needed
/// header is missing (kTruncated). Checksums are not verified. `out` is reset first.
[[nodiscard]] ParseStatus parse_ipv6_packet(std::span<const std::byte> packet, Reply& out) noexcept;

[[nodiscard]] const char* to_string(ParseStatus status) noexcept;
[[nodiscard]] const char* to_string(LinkType link) noexcept;

}  // namespace synscan::packet
