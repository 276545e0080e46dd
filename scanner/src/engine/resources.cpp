#include "engine/resources.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "capture.hpp"
#include "frame_sender.hpp"
#include "net/ipv4_address.hpp"
#include "privileges.hpp"
#include "send_backend.hpp"
#include "scanner/errors.hpp"
#include "scanner/resume.hpp"

namespace synscan::scanner::engine {
namespace {

Network network_from_route(const ScanPlan& plan) {
  Network network;
  NextHop& hop = network.hop;
  hop = find_route(plan.targets.at(0), {plan.interface, plan.source_ip, plan.router_mac});
  // On-link targets get their own MACs from an ARP sweep; the rest go to the router. An explicit
  // --router-mac sends everything there (the user knows their network).
  const std::uint64_t on_link_targets = hop.router_mac_known ? 0 : count_on_link(hop, plan.targets);
  if (on_link_targets > (1u << 20)) {
    throw RuntimeError(fmt::format("{} targets are on the local subnet of {}: too many to ARP; "
                                   "give --router-mac to send through a router",
                                   on_link_targets, hop.interface));
  }
  if (on_link_targets > 0) {
    spdlog::info("ARP-resolving {} on-link targets on {}", on_link_targets, hop.interface);
    network.neighbours = arp_sweep(hop, plan.targets, plan.rate > 0 ? std::min(plan.rate, 20000.0) : 20000.0);
    spdlog::info("{} of {} on-link targets answered ARP", network.neighbours.size(), on_link_targets);
  }
  if (!hop.router_mac_known && on_link_targets < plan.targets.size()) {
    if (hop.gateway_ip == 0) {
      throw RuntimeError("no gateway toward " + net::Ipv4Address(plan.targets.at(0)).to_string() + " on " +
                         hop.interface + " for off-link targets (give --router-mac)");
    }
    const auto mac = resolve_mac(hop, hop.gateway_ip);
    if (!mac) {
      throw RuntimeError("no ARP reply from gateway " + net::Ipv4Address(hop.gateway_ip).to_string() + " on " +
                         hop.interface + " (give --router-mac to skip ARP)");
    }
    hop.router_mac = *mac;
    hop.router_mac_known = true;
  }
  network.any_on_link = on_link_targets > 0;
  spdlog::debug("interface {} ({}), source {}, gateway {}, next-hop MAC {}", hop.interface,
                hop.interface_mac.to_string(), net::Ipv4Address(hop.source_ip).to_string(),
                hop.gateway_ip ? net::Ipv4Address(hop.gateway_ip).to_string() : "on-link",
                hop.router_mac.to_string());
  return network;
}

// Checks the plan first: nothing else runs for a plan with nothing to scan.
Network make_network(const ScanPlan& plan, const InjectedLink* link) {
  if (plan.targets.empty()) throw UsageError("no targets to scan");
  if (plan.targets.ipv6_size() > 0) {
    throw UsageError("IPv6 targets are not scanned yet: the engine sends IPv4 probes only (issue 14)");
  }
  if (plan.ports.size() == 0) throw UsageError("no ports to scan");
  Network network;
  NextHop& hop = network.hop;
  if (link) {
    hop.interface = "injected";
    hop.source_ip = link->source_ip;
    hop.interface_mac = link->source_mac;
    hop.router_mac = link->next_hop_mac;
    if (link->raw_ip) hop.link_header = packet::LinkHeader::kNone;
  } else if (plan.offline) {
    // The whole engine without the network: frames are built and counted, never sent, and
    // nothing is captured. Measures synscan's own cost per probe.
    hop.interface = "offline";
    hop.source_ip = plan.source_ip.value_or(0xC6130001u);  // 198.19.0.1, never on the wire
    hop.router_mac = net::MacAddress{{0x02, 0, 0, 0, 0, 0x02}};
    hop.interface_mac = net::MacAddress{{0x02, 0, 0, 0, 0, 0x01}};
  } else {
    return network_from_route(plan);
  }
  hop.router_mac_known = true;
  return network;
}

packet::Cookie make_cookie(const ScanPlan& plan, const Network& network) {
  packet::SourcePortRange ports;
  if (plan.source_port) ports = {*plan.source_port, 1};
  packet::Cookie cookie(packet::SipKey::random(), network.hop.source_ip, ports);
  cookie.accept_source_range(plan.source_count);
  return cookie;
}

packet::FrameAddressing addressing(const ScanPlan& plan, const Network& network) {
  return {network.hop.interface_mac, network.hop.router_mac, network.hop.source_ip, plan.ttl,
          static_cast<std::uint16_t>(::getpid()), network.hop.link_header};
}

packet::UdpPayloadTable udp_payloads(const ScanPlan& plan) {
  packet::UdpPayloadTable payloads = packet::UdpPayloadTable::builtin();
  if (!plan.udp_payloads_file.empty()) {
    try {
      payloads.load_file(plan.udp_payloads_file);
    } catch (const packet::PayloadFileError& error) {
      throw UsageError(error.what());
    }
  }
  return payloads;
}

ScanOrder make_order(const ScanPlan& plan) {
  const auto probes_per_host = static_cast<std::uint32_t>(plan.ports.size());
  // A resumed scan must walk exactly the interrupted scan's order.
  const std::uint32_t hosts_per_group =
      plan.resume ? plan.resume->hosts_per_group
                  : choose_hosts_per_group(plan.targets.size(), probes_per_host, plan.rate);
  return ScanOrder(plan.targets.size(), probes_per_host, hosts_per_group, plan.seed, plan.shard);
}

// Slots in flight: a group lives for its sends (one pass per try), the retry timeouts and the
// final wait. Enough slots that the transmitter never starves at the asked rate while the RTT is
// near its initial estimate; if replies get slower, a full window makes the transmitter wait
// (backpressure) rather than grow memory. A multiple of the thread count: thread t's groups
// (t mod n) then use slots t mod n only.
std::size_t slot_count(const ScanPlan& plan, const ScanOrder& order) {
  const unsigned threads = plan.transmit_threads;
  const double rate = plan.rate > 0 ? plan.rate : 1e6 * threads;
  const double group_send_seconds =
      static_cast<double>(order.max_entries_per_group()) / plan.shard.count / rate;
  const double group_life = group_send_seconds * (plan.retries + 1) +
                            (plan.initial_rtt_timeout + 0.5) * plan.retries + plan.wait_seconds + 0.5;
  const auto wanted_slots = static_cast<std::uint64_t>(
      std::ceil(group_life / std::max(group_send_seconds, 1e-3))) + 2;
  auto slots = static_cast<std::size_t>(std::min<std::uint64_t>(wanted_slots, order.group_count() + threads));
  slots = (slots + threads - 1) / threads * threads;
  return std::max<std::size_t>(slots, 1);
}

// --offline: nothing arrives; a dispatch waits until woken or its timeout passes.
class SilentSource final : public FrameSource {
 public:
  bool dispatch(Handler, void*) override {
    std::unique_lock lock(mutex_);
    woken_.wait_for(lock, std::chrono::milliseconds(50), [&] { return awake_; });
    return true;
  }
  void wake() noexcept override {
    {
      std::lock_guard lock(mutex_);
      awake_ = true;
    }
    woken_.notify_all();
  }
  [[nodiscard]] CaptureDrops drops() const noexcept override { return {}; }

 private:
  std::mutex mutex_;
  std::condition_variable woken_;
  bool awake_ = false;
};

}  // namespace

Resources::Resources(const ScanPlan& plan, std::unique_ptr<InjectedLink> link)
    : network(make_network(plan, link.get())),
      probes(addressing(plan, network), make_cookie(plan, network), plan.ports, udp_payloads(plan)),
      order(make_order(plan)),
      window(slot_count(plan, order), order.max_entries_per_group()),
      transmit_threads(plan.transmit_threads) {
  spdlog::debug("{} hosts x {} probes, {} hosts per group, {} groups, {} slots ({} KiB state)",
                plan.targets.size(), probes.probes_per_host(), order.hosts_per_group(),
                order.group_count(), window.slot_count(), window.memory_bytes() / 1024);
  if (link) {
    if (link->raw_ip) capture_link = packet::LinkType::kRawIp;
    source = std::move(link->source);
    for (unsigned thread = 0; thread < transmit_threads; ++thread) senders.push_back(link->make_sender(thread));
    return;
  }
  if (plan.offline) {
    source = std::make_unique<SilentSource>();
    for (unsigned thread = 0; thread < transmit_threads; ++thread) senders.push_back(make_discarding_sender());
    return;
  }
  // Capture first, so no reply to the first probe can be missed.
  PcapHandle capture(CaptureOptions{network.hop.interface,
                                    probes.bpf_filter(network.hop.source_ip, plan.source_count)});
  const std::optional<packet::LinkType> parsed_link = link_type_of(capture.datalink());
  if (!parsed_link) {
    throw RuntimeError(fmt::format("cannot parse captures on {} (pcap link type {})",
                                   network.hop.interface, capture.datalink()));
  }
  capture_link = *parsed_link;
  source = make_pcap_source(std::move(capture));
  if (plan.source_count > 1) {  // the receive thread answers ARP for the -S range
    if (network.hop.link_header != packet::LinkHeader::kEthernet) {
      throw UsageError("-S with a range answers ARP for it: " + network.hop.interface + " is not Ethernet");
    }
    arp_sender = make_packet_socket_sender(network.hop.interface_index, network.hop.link_header);
  }
  OpenedSenders opened = open_senders(plan, network.hop, transmit_threads);
  senders = std::move(opened.senders);
  send_path = std::move(opened.description);
  const DroppedPrivileges dropped = drop_privileges(plan.user);
  spdlog::info("running as {} (uid {}, gid {}) with no capabilities",
               dropped.user.empty() ? "the invoking user" : dropped.user, dropped.uid, dropped.gid);
}

}  // namespace synscan::scanner::engine
