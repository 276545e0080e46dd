#pragma once
// --send-backend: which FrameSender each transmit thread gets, and the line that says so.
#include <memory>
#include <string>
#include <vector>

#include "next_hop.hpp"
#include "scanner/link.hpp"
#include "scanner/scan_plan.hpp"

namespace synscan::scanner {

struct OpenedSenders {
  std::vector<std::unique_ptr<FrameSender>> senders;  ///< one per transmit thread
  std::string description;  ///< e.g. "xdp (AF_XDP copy mode, TX queue 0 of eth0)"
};

/// Opens `threads` senders of plan.send_backend on hop's interface. auto takes xdp when every
/// thread gets its AF_XDP socket, otherwise mmsg, and the description says why. xdp asked for
/// explicitly throws RuntimeError with that reason (exit 2). Call before the privilege drop.
OpenedSenders open_senders(const ScanPlan& plan, const NextHop& hop, unsigned threads);

/// The option's name for a backend: "mmsg", "xdp", "auto" or "libnet".
std::string send_backend_name(SendBackend backend);

}  // namespace synscan::scanner
