#pragma once
/// UDP probe payloads: a UDP scanner lives by them (empty datagrams get no answer from most
/// services). Written here from the protocol specifications (RFC 1035, 5905, 1157/3416, 1002,
/// 1350, 5531, 6762, 3261, 2408, 7252; memcached protocol.txt; UPnP 1.1), never copied.
///
/// Where the protocol echoes an identifier (DNS/NetBIOS/mDNS id, NTP origin timestamp, RPC xid,
/// IKE initiator SPI, CoAP message id, memcached request id) the probe's cookie goes there and a
/// reply is accepted only when it echoes it back; otherwise replies are validated by address and
/// ports alone.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace synscan::packet {

class PayloadFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Where the cookie is written in the request and echoed in the reply.
struct CookieEcho {
  std::uint16_t request_offset = 0;
  std::uint16_t reply_offset = 0;
  std::uint8_t width = 0;  ///< 0 = no echo, else 2 or 4 bytes (big-endian low bits of the cookie)
};

struct UdpPayload {
  std::string name;               ///< protocol, for diagnostics ("dns", "ntp", ...)
  std::vector<std::byte> bytes;   ///< request with the cookie field zeroed
  CookieEcho echo;
};

enum class EchoCheck : std::uint8_t { kMatch, kMismatch, kNoEcho };

/// The payload table: port -> payload index. Immutable after setup; lookups never allocate.
class UdpPayloadTable {
 public:
  /// The built-in payloads.
  static UdpPayloadTable builtin();

  /// Adds (or replaces) payloads from a file (--udp-payloads). Format, one entry per line:
  ///   <ports> "<payload>" ["<payload continued>"...] [echo <request-offset> <reply-offset> <width>]
  /// ports: comma list of ports/ranges; payload: C-style string with \xNN \r \n \t \0 \\ \" escapes;
  /// '#' starts a comment. Throws PayloadFileError naming file:line on any malformed entry.
  void load_file(const std::string& path);
  /// Same as load_file over text (for tests and fuzzing); `origin` names it in errors.
  void load_text(std::string_view text, const std::string& origin);

  /// Payload for `port`, or the empty payload when none is known.
  [[nodiscard]] const UdpPayload& for_port(std::uint16_t port) const noexcept;
  [[nodiscard]] std::size_t index_for_port(std::uint16_t port) const noexcept { return by_port_[port]; }
  [[nodiscard]] const std::vector<UdpPayload>& payloads() const noexcept { return payloads_; }

  /// Writes the cookie into `payload_bytes` (a copy of for_port(port).bytes in a frame).
  static void write_cookie(const UdpPayload& payload, std::span<std::byte> payload_bytes,
                           std::uint32_t cookie) noexcept;
  /// Checks a reply payload against the cookie echo rule of the probed port.
  [[nodiscard]] static EchoCheck check_echo(const UdpPayload& payload,
                                            std::span<const std::byte> reply_payload,
                                            std::uint32_t cookie) noexcept;

 private:
  UdpPayloadTable();
  std::size_t add(UdpPayload payload);
  std::vector<UdpPayload> payloads_;      ///< [0] is the empty payload
  std::vector<std::uint32_t> by_port_;    ///< 65536 entries
};

}  // namespace synscan::packet
