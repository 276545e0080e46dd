#pragma once
/// Probe frames built once with libnet and patched per packet.
///
/// Contract (masscan's "we can't do a system-call per packet" applies to allocation too): the
/// constructor runs libnet once to build a complete Ethernet + IPv4 + L4 frame (or, for links
/// without a link header, IPv4 + L4; the Ipv6* templates the same with IPv6) with valid checksums;
/// `write()` copies that frame into caller memory and patches only the per-packet fields, updating
/// the IPv4 and L4 checksums incrementally (RFC 1624). `write()` never allocates, locks or calls
/// libnet.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include "net/mac_address.hpp"
#include "packet/ipv6.hpp"
#include "packet/udp_payloads.hpp"

namespace synscan::packet {

/// Setup failure while building a template (libnet refused a header). Never thrown per packet.
class TemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What precedes the IPv4 header in a frame handed to the send socket.
enum class LinkHeader : std::uint8_t {
  kEthernet,  ///< Ethernet II (14 bytes): AF_PACKET SOCK_RAW on an Ethernet-like interface
  kNone,      ///< nothing: AF_PACKET SOCK_DGRAM on a raw-IP interface (tun, WireGuard, PPP)
};

/// Byte offsets inside an Ethernet template frame (Ethernet II, IPv4 without options). A template
/// without a link header starts at the IPv4 header: use the template's ip_offset()/l4_offset().
inline constexpr std::size_t kEthernetHeaderSize = 14;
inline constexpr std::size_t kDestinationMacOffset = 0;
inline constexpr std::size_t kIpv4Offset = kEthernetHeaderSize;
inline constexpr std::size_t kIpv4HeaderSize = 20;
inline constexpr std::size_t kL4Offset = kIpv4Offset + kIpv4HeaderSize;

/// Where the IPv4 header starts in a frame with `link_header`.
[[nodiscard]] constexpr std::size_t ipv4_offset_for(LinkHeader link_header) noexcept {
  return link_header == LinkHeader::kEthernet ? kEthernetHeaderSize : 0;
}

/// Addresses are host byte order everywhere in synscan's interfaces; frames are network order.
struct FrameAddressing {
  net::MacAddress source_mac{};
  net::MacAddress destination_mac{};  ///< next hop (gateway, or the target itself when on-link)
  std::uint32_t source_ip = 0;
  std::uint8_t ttl = 64;         ///< also the IPv6 templates' hop limit
  std::uint16_t ip_id = 0;       ///< constant per template; nmap-like scanners vary it, we need not
  LinkHeader link_header = LinkHeader::kEthernet;  ///< kNone: the MACs are ignored
  /// The IPv6 templates' source address (network order); last, so that positional initialisers
  /// of the IPv4 fields stay valid.
  Ipv6Bytes source_ipv6{};
};

struct TcpSynOptions {
  std::uint16_t window = 1024;
  std::uint16_t mss = 1460;      ///< sent as the only TCP option (4 bytes), like nmap's SYN
};

/// Ethernet + IPv4 + TCP SYN (+ MSS option). Frame size: 14 + 20 + 24 = 58 bytes (44 without
/// the link header).
class TcpSynTemplate {
 public:
  TcpSynTemplate(const FrameAddressing& addressing, const TcpSynOptions& options);

  /// The template frame as built by libnet (destination 0.0.0.0, ports 0, sequence 0).
  [[nodiscard]] std::span<const std::byte> frame() const noexcept { return frame_; }
  [[nodiscard]] std::size_t size() const noexcept { return frame_.size(); }
  [[nodiscard]] std::size_t ip_offset() const noexcept { return ip_offset_; }
  [[nodiscard]] std::size_t l4_offset() const noexcept { return ip_offset_ + kIpv4HeaderSize; }

  /// Writes a complete, checksummed frame into `out` (must hold size() bytes).
  void write(std::byte* out, std::uint32_t destination_ip, std::uint16_t source_port,
             std::uint16_t destination_port, std::uint32_t sequence) const noexcept;

 private:
  std::vector<std::byte> frame_;
  std::size_t ip_offset_ = kIpv4Offset;
};

/// Ethernet + IPv4 + UDP + payload. Frame size: 14 + 20 + 8 + payload (14 less without the link
/// header).
///
/// Where the payload's protocol echoes an id (`echo`, from packet/udp_payloads.hpp), write() puts
/// the probe's cookie there and updates the UDP checksum over the words it touched; an echo field
/// that does not fit the payload is ignored (no cookie written).
class UdpTemplate {
 public:
  UdpTemplate(const FrameAddressing& addressing, std::span<const std::byte> payload,
              CookieEcho echo = {});

  [[nodiscard]] std::span<const std::byte> frame() const noexcept { return frame_; }
  [[nodiscard]] std::size_t size() const noexcept { return frame_.size(); }
  [[nodiscard]] std::size_t ip_offset() const noexcept { return ip_offset_; }
  [[nodiscard]] std::size_t l4_offset() const noexcept { return ip_offset_ + kIpv4HeaderSize; }
  [[nodiscard]] std::size_t payload_offset() const noexcept { return l4_offset() + 8; }

  /// Writes a complete, checksummed frame into `out` (must hold size() bytes).
  /// `cookie` goes into the echo field, if the template has one.
  void write(std::byte* out, std::uint32_t destination_ip, std::uint16_t source_port,
             std::uint16_t destination_port, std::uint32_t cookie = 0) const noexcept;
  [[nodiscard]] bool carries_cookie() const noexcept { return echo_width_ != 0; }

 private:
  void write_cookie(std::byte* out, std::uint32_t cookie) const noexcept;
  std::vector<std::byte> frame_;
  std::size_t ip_offset_ = kIpv4Offset;
  std::size_t echo_offset_ = 0;  ///< frame offset of the cookie field
  std::uint8_t echo_width_ = 0;  ///< 0 = no cookie field, else 2 or 4 bytes
};

/// Where the IPv6 header starts in a frame with `link_header`.
[[nodiscard]] constexpr std::size_t ipv6_offset_for(LinkHeader link_header) noexcept {
  return link_header == LinkHeader::kEthernet ? kEthernetHeaderSize : 0;
}

/// Ethernet + IPv6 + TCP SYN (+ MSS option), the IPv6 twin of TcpSynTemplate: source
/// addressing.source_ipv6, hop limit addressing.ttl, traffic class and flow label 0, no extension
/// headers. Frame size: 14 + 40 + 24 = 78 bytes (64 without the link header). write() patches the
/// destination address, ports and sequence and updates the TCP checksum incrementally over the
/// IPv6 pseudo-header (RFC 8200 section 8.1); it never allocates.
class Ipv6TcpSynTemplate {
 public:
  Ipv6TcpSynTemplate(const FrameAddressing& addressing, const TcpSynOptions& options);

  /// The template frame as built by libnet (destination ::, ports 0, sequence 0).
  [[nodiscard]] std::span<const std::byte> frame() const noexcept { return frame_; }
  [[nodiscard]] std::size_t size() const noexcept { return frame_.size(); }
  [[nodiscard]] std::size_t ip_offset() const noexcept { return ip_offset_; }
  [[nodiscard]] std::size_t l4_offset() const noexcept { return ip_offset_ + kIpv6HeaderSize; }

  /// Writes a complete, checksummed frame into `out` (must hold size() bytes).
  void write(std::byte* out, Ipv6View destination, std::uint16_t source_port,
             std::uint16_t destination_port, std::uint32_t sequence) const noexcept;

 private:
  std::vector<std::byte> frame_;
  std::size_t ip_offset_ = kEthernetHeaderSize;
};

/// Ethernet + IPv6 + UDP + payload, the IPv6 twin of UdpTemplate (same cookie echo rule). The UDP
/// checksum is mandatory over IPv6 (RFC 8200 section 8.1): a computed zero is sent as 0xFFFF.
/// Frame size: 14 + 40 + 8 + payload (14 less without the link header).
class Ipv6UdpTemplate {
 public:
  Ipv6UdpTemplate(const FrameAddressing& addressing, std::span<const std::byte> payload,
                  CookieEcho echo = {});

  [[nodiscard]] std::span<const std::byte> frame() const noexcept { return frame_; }
  [[nodiscard]] std::size_t size() const noexcept { return frame_.size(); }
  [[nodiscard]] std::size_t ip_offset() const noexcept { return ip_offset_; }
  [[nodiscard]] std::size_t l4_offset() const noexcept { return ip_offset_ + kIpv6HeaderSize; }
  [[nodiscard]] std::size_t payload_offset() const noexcept { return l4_offset() + 8; }

  /// Writes a complete, checksummed frame into `out` (must hold size() bytes).
  /// `cookie` goes into the echo field, if the template has one.
  void write(std::byte* out, Ipv6View destination, std::uint16_t source_port,
             std::uint16_t destination_port, std::uint32_t cookie = 0) const noexcept;
  [[nodiscard]] bool carries_cookie() const noexcept { return echo_width_ != 0; }

 private:
  std::vector<std::byte> frame_;
  std::size_t ip_offset_ = kEthernetHeaderSize;
  std::size_t echo_offset_ = 0;  ///< frame offset of the cookie field
  std::uint8_t echo_width_ = 0;  ///< 0 = no cookie field, else 2 or 4 bytes
};

}  // namespace synscan::packet
