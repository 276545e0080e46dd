#pragma once
// Private setup helpers shared by the IPv4 and IPv6 probe templates: a libnet context that only
// builds, the L4 blocks both families share, the link header + coalescing step, and the UDP
// cookie echo patch write() uses. Everything but write_udp_cookie runs once per template.
#include <libnet.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "packet/probe_template.hpp"

namespace synscan::packet::building {

inline constexpr std::size_t kTcpHeaderSize = 20;
inline constexpr std::size_t kTcpMssOptionSize = 4;
inline constexpr std::size_t kTcpSynSize = kTcpHeaderSize + kTcpMssOptionSize;
inline constexpr std::size_t kUdpHeaderSize = 8;

struct LibnetDeleter {
  void operator()(libnet_t* context) const noexcept { libnet_destroy(context); }
};
using LibnetContext = std::unique_ptr<libnet_t, LibnetDeleter>;

/// A context that only builds packets: LIBNET_NONE needs no privileges and opens no socket.
LibnetContext open_builder();
/// Throws TemplateError naming `what` and libnet's error when `tag` is -1.
void check_ptag(libnet_t* context, libnet_ptag_t tag, const char* what);

/// The TCP SYN blocks (MSS option + header, ports and sequence 0): kTcpSynSize bytes.
void build_tcp_syn(libnet_t* context, const TcpSynOptions& options);
/// The UDP header (ports 0) and payload: kUdpHeaderSize + payload.size() bytes.
void build_udp(libnet_t* context, std::span<const std::byte> payload);

/// Adds the Ethernet header (unless the link has none) on top of the IP and L4 blocks in
/// `context`, then returns the coalesced frame with every checksum libnet computes. Throws
/// TemplateError when the frame is not `expected_size` bytes long.
std::vector<std::byte> finish_frame(libnet_t* context, const FrameAddressing& addressing,
                                    std::uint16_t ethertype, std::size_t expected_size);

/// A UDP echo field inside a frame: where the cookie goes and which checksum covers it.
struct EchoField {
  std::size_t l4_offset;  ///< frame offset of the UDP header
  std::size_t offset;     ///< frame offset of the field
  std::uint8_t width;     ///< 2 or 4 bytes
};

/// Writes the cookie's big-endian low `field.width` bytes into the field and updates the UDP
/// checksum (RFC 1624) over the 16-bit words they touch, aligned to the UDP header. A word past
/// the frame's end (`frame_size`) counts as a zero pad byte. A resulting zero checksum is sent
/// as 0xFFFF (RFC 768). Per packet: no allocation.
void write_udp_cookie(std::byte* out, std::size_t frame_size, const EchoField& field,
                      std::uint32_t cookie) noexcept;

}  // namespace synscan::packet::building
