#pragma once
/// The engine's link: where probe frames go (one FrameSender per transmit thread) and where reply
/// frames come from (one FrameSource for the receive thread). A scan on the network uses a raw
/// packet socket (or libnet) and libpcap; tests and simulations inject their own (InjectedLink).
///
/// Both interfaces are called once per batch, never per frame, so their virtual calls cost
/// nothing measurable; per frame there is one plain function-pointer call (FrameSource::Handler).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "net/mac_address.hpp"

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
  /// Sends every frame; a frame counts as sent only once the link took it. Transient errors
  /// (ENOBUFS, EAGAIN) back off briefly and retry; hard errors drop the frame and count it.
  /// Returns the number of frames accepted. The frames' memory is reused after the call returns.
  virtual std::size_t send(std::span<const FrameRef> frames, SendCounters& counters) = 0;
};

struct CaptureDrops {
  std::uint64_t kernel_drops = 0;     ///< ps_drop: ring full
  std::uint64_t interface_drops = 0;  ///< ps_ifdrop
};

class FrameSource {
 public:
  /// Called once per captured frame (as the link delivers it: Ethernet II, raw IPv4, ...), on the receive thread; the bytes are valid
  /// only during the call.
  using Handler = void (*)(void* context, std::span<const std::byte> frame) noexcept;
  virtual ~FrameSource() = default;
  /// Hands the frames that arrive within a short wait (tens of milliseconds at most) to
  /// `handler`. False on a hard capture error (already logged): the receive loop ends.
  virtual bool dispatch(Handler handler, void* context) = 0;
  /// Makes a dispatch() under way (or the next one) return soon. Any thread, once, at the end.
  virtual void wake() noexcept = 0;
  [[nodiscard]] virtual CaptureDrops drops() const noexcept = 0;
};

/// A link that replaces the network: no route lookup, no ARP, no capture device, no raw socket
/// and no privilege drop. Every target is sent to `next_hop_mac`.
struct InjectedLink {
  std::uint32_t source_ip = 0;  ///< host byte order; the replies' destination
  net::MacAddress source_mac{};
  net::MacAddress next_hop_mac{};
  /// A link without link-layer header (a tun): probes start at the IPv4 header and replies are
  /// bare IPv4 packets (DLT_RAW). Otherwise both are Ethernet II frames.
  bool raw_ip = false;
  /// One sender per transmit thread (called with the thread's index during setup).
  std::function<std::unique_ptr<FrameSender>(unsigned thread)> make_sender;
  std::unique_ptr<FrameSource> source;
};

}  // namespace synscan::scanner
