#include "send_backend.hpp"

#include <spdlog/spdlog.h>

#include "frame_sender.hpp"
#include "scanner/errors.hpp"
#include "xdp_sender.hpp"

namespace synscan::scanner {
namespace {

std::string queue_range(unsigned threads) {
  return threads == 1 ? "TX queue 0" : "TX queues 0-" + std::to_string(threads - 1);
}

// All threads on AF_XDP or none: a mixed set would pace and count alike but confuse the report.
OpenedSenders open_xdp(const NextHop& hop, unsigned threads) {
  if (auto reason = xdp_precheck(hop.interface, hop.link_header, threads)) throw XdpUnavailable(*reason);
  OpenedSenders opened;
  bool zero_copy = true;
  for (unsigned thread = 0; thread < threads; ++thread) {
    XdpSenderInfo info;
    opened.senders.push_back(make_xdp_sender(hop.interface, thread, info));
    zero_copy = zero_copy && info.zero_copy;
  }
  opened.description = "xdp (AF_XDP " + std::string(zero_copy ? "zero-copy" : "copy mode") + ", " +
                       queue_range(threads) + " of " + hop.interface + ")";
  return opened;
}

OpenedSenders open_mmsg(const NextHop& hop, unsigned threads) {
  OpenedSenders opened;
  for (unsigned thread = 0; thread < threads; ++thread) {
    opened.senders.push_back(make_packet_socket_sender(hop.interface_index, hop.link_header));
  }
  opened.description = "mmsg (sendmmsg on AF_PACKET, " + hop.interface + ")";
  return opened;
}

}  // namespace

std::string send_backend_name(SendBackend backend) {
  switch (backend) {
    case SendBackend::kPacketMmsg: return "mmsg";
    case SendBackend::kXdp: return "xdp";
    case SendBackend::kLibnet: return "libnet";
    case SendBackend::kAuto: break;
  }
  return "auto";
}

OpenedSenders open_senders(const ScanPlan& plan, const NextHop& hop, unsigned threads) {
  switch (plan.send_backend) {
    case SendBackend::kLibnet: {
      if (hop.link_header != packet::LinkHeader::kEthernet) {
        throw UsageError("--send-backend libnet writes Ethernet frames; " + hop.interface +
                         " carries bare IP (use the default backend)");
      }
      OpenedSenders opened;
      for (unsigned thread = 0; thread < threads; ++thread) opened.senders.push_back(make_libnet_sender(hop.interface));
      opened.description = "libnet (one write per frame, " + hop.interface + ")";
      return opened;
    }
    case SendBackend::kPacketMmsg: return open_mmsg(hop, threads);
    case SendBackend::kXdp:
      try {
        return open_xdp(hop, threads);
      } catch (const XdpUnavailable& error) {
        throw RuntimeError(std::string("--send-backend xdp: ") + error.what());
      }
    case SendBackend::kAuto: break;
  }
  try {
    return open_xdp(hop, threads);
  } catch (const XdpUnavailable& error) {
    spdlog::info("AF_XDP unavailable ({}): sending with mmsg", error.what());
    OpenedSenders opened = open_mmsg(hop, threads);
    opened.description += "; AF_XDP unavailable: " + std::string(error.what());
    return opened;
  }
}

}  // namespace synscan::scanner
