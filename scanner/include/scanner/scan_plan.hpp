#pragma once
/// The one configuration of a scan. Built once from the command line, immutable while the scan
/// runs, passed down by const reference. Nothing global.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "output/writers.hpp"
#include "packet/probe_template.hpp"
#include "scanner/permutation.hpp"
#include "scanner/ports.hpp"
#include "scanner/targets.hpp"

namespace synscan::scanner {

struct ResumeState;

/// How probes leave (--send-backend): batched sendmmsg on AF_PACKET, one libnet_write per frame,
/// AF_XDP TX rings, or auto (AF_XDP where it works, otherwise sendmmsg).
enum class SendBackend : std::uint8_t { kPacketMmsg, kLibnet, kXdp, kAuto };

struct ScanPlan {
  TargetSet targets;
  PortList ports;  ///< TCP ports probed with SYN, UDP ports with UDP probes
  std::string udp_payloads_file;  ///< --udp-payloads: more payloads (format: packet/udp_payloads.hpp)

  double rate = 10'000;          ///< packets per second; 0 = as fast as possible
  unsigned retries = 1;          ///< extra sends of unanswered probes
  double wait_seconds = 2.0;     ///< after a group's last send, wait this long for late replies
  double initial_rtt_timeout = 1.0;  ///< retry timeout until the first RTT sample (seconds)
  double min_rtt_timeout = 0.1;      ///< the adaptive retry timeout stays within [min, max]
  double max_rtt_timeout = 10.0;
  std::uint64_t seed = 0;        ///< permutation seed
  Shard shard;

  std::string interface;                        ///< -e
  std::optional<std::uint32_t> source_ip;       ///< -S (the first address of a range)
  /// -S A-B: the addresses source_ip .. source_ip + source_count - 1. Probes leave from source_ip;
  /// a host that rate-limits its answers per peer (Linux) is re-probed from all of them, and
  /// synscan answers ARP for the others itself.
  std::uint32_t source_count = 1;
  std::optional<std::uint16_t> source_port;     ///< -g: pin the source port
  std::optional<net::MacAddress> router_mac; ///< --router-mac
  std::uint8_t ttl = 64;
  SendBackend send_backend = SendBackend::kAuto;  ///< --send-backend
  unsigned transmit_threads = 1;  ///< --tx-threads
  bool offline = false;           ///< --offline: build and count probes, send nothing
  /// --fixed-rate: send at `rate` whatever the answers say (no per-host pacing of rate-limited
  /// hosts, no backing off a saturated path): today's fixed behaviour, for NIC benchmarks.
  bool fixed_rate = false;

  std::string user;              ///< --user: drop to this user after opening raw handles ("" = nobody when root)

  bool banners = false;           ///< --banners / -sV: the service stage on open TCP ports
  unsigned banner_concurrency = 512;   ///< --banner-concurrency: service connections in flight
  double banner_timeout = 6.0;   ///< --banner-timeout: seconds per service connection, all phases

  std::vector<output::OutputTarget> outputs;
  bool only_open = false;
  std::string services_file;     ///< --services-file: nmap-services-format names (user's choice)
  int verbosity = 0;             ///< -v count; -d adds debug
  bool debug = false;
  bool progress = true;          ///< the once-a-second stderr line
  std::string command_line;      ///< argv joined, for output headers

  std::string resume_file;       ///< where an interrupted scan saves its state ("" = next to outputs)
  std::shared_ptr<const ResumeState> resume;  ///< --resume: continue this saved scan
};

}  // namespace synscan::scanner
