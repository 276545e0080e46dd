#pragma once
// Transmit backends behind one small interface (zmap's send-linux/send-bsd idea). Called once
// per batch, never per packet, so the virtual call costs nothing measurable.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "fd.hpp"

namespace synscan::scanner {

struct FrameRef {
  const std::byte* data;
  std::uint32_t size;
};

struct SendCounters {
  std::uint64_t frames_sent = 0;     ///< accepted by the kernel
  std::uint64_t bytes_sent = 0;      ///< their frame bytes
  std::uint64_t retries = 0;         ///< ENOBUFS/EAGAIN back-offs
  std::uint64_t errors = 0;          ///< frames dropped after a hard error
};

class FrameSender {
 public:
  virtual ~FrameSender() = default;
  /// Sends every frame; a frame counts as sent only once the kernel took it. Transient errors
  /// (ENOBUFS, EAGAIN) back off briefly and retry; hard errors drop the frame and count it.
  /// Returns the number of frames the kernel accepted.
  virtual std::size_t send(std::span<const FrameRef> frames, SendCounters& counters) = 0;
};

/// sendmmsg on an AF_PACKET socket bound to `interface_index`, with PACKET_QDISC_BYPASS.
/// Throws RuntimeError (with a privileges hint on EPERM) when the socket cannot be opened.
std::unique_ptr<FrameSender> make_packet_socket_sender(int interface_index);
/// Counts frames and drops them: --offline, to measure the engine's own cost per probe.
std::unique_ptr<FrameSender> make_discarding_sender();
/// libnet_write_link, one syscall per frame: kept for comparison (--send-backend libnet).
std::unique_ptr<FrameSender> make_libnet_sender(const std::string& interface);

}  // namespace synscan::scanner
