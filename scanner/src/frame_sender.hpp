#pragma once
// Transmit backends behind FrameSender (scanner/link.hpp; zmap's send-linux/send-bsd idea).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "fd.hpp"
#include "packet/probe_template.hpp"
#include "scanner/link.hpp"

namespace synscan::scanner {


/// sendmmsg on an AF_PACKET socket bound to `interface_index`, with PACKET_QDISC_BYPASS.
/// `link_header` kEthernet: SOCK_RAW, frames start with their Ethernet header. kNone: SOCK_DGRAM
/// bound to ETH_P_IP, frames start with the IPv4 header and the kernel adds whatever the device
/// needs (nothing on tun). Throws RuntimeError (with a privileges hint on EPERM) when the socket
/// cannot be opened.
std::unique_ptr<FrameSender> make_packet_socket_sender(
    int interface_index, packet::LinkHeader link_header = packet::LinkHeader::kEthernet);
/// Counts frames and drops them: --offline, to measure the engine's own cost per probe.
std::unique_ptr<FrameSender> make_discarding_sender();
/// libnet_write_link, one syscall per frame: kept for comparison (--send-backend libnet).
std::unique_ptr<FrameSender> make_libnet_sender(const std::string& interface);

}  // namespace synscan::scanner
