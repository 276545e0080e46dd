#pragma once
// AF_XDP transmit backend (--send-backend xdp): one AF_XDP socket per transmit thread, TX only (no
// XDP program is loaded, capture stays on libpcap), bound to the thread's own TX queue, with its
// own UMEM of frames. Zero-copy where the driver supports it, copy mode otherwise.
#include <memory>
#include <optional>
#include <string>

#include "packet/probe_template.hpp"
#include "scanner/errors.hpp"
#include "scanner/link.hpp"

namespace synscan::scanner {

/// Why AF_XDP cannot send here: one line for the user (auto falls back to mmsg on it).
class XdpUnavailable : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

/// Checks that need no socket: an Ethernet link, and a TX queue per transmit thread.
/// The reason AF_XDP cannot be used, or nothing.
std::optional<std::string> xdp_precheck(const std::string& interface, packet::LinkHeader link_header,
                                        unsigned threads);

struct XdpSenderInfo {
  bool zero_copy = false;
};

/// An AF_XDP sender on TX queue `queue` of `interface`. Throws XdpUnavailable with the reason when
/// the kernel, the driver, the queue or the privileges refuse.
std::unique_ptr<FrameSender> make_xdp_sender(const std::string& interface, unsigned queue, XdpSenderInfo& info);

}  // namespace synscan::scanner
