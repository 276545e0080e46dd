#pragma once
/// The scan engine's entry point. Stages, threads and who owns what: docs/ARCHITECTURE.md.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "output/writers.hpp"
#include "scanner/link.hpp"
#include "scanner/scan_plan.hpp"

namespace synscan::scanner {

struct ScanOutcome {
  bool interrupted = false;
  std::uint64_t hosts_up = 0;
  std::uint64_t capture_drops = 0;
  std::uint64_t send_errors = 0;
  // What became of the replies (the closing line's counts).
  std::uint64_t replies_matched = 0;    ///< first answers of our probes
  std::uint64_t replies_duplicate = 0;  ///< further answers to a probe already final
  std::uint64_t replies_late = 0;       ///< answers after their group's time was up
  std::uint64_t replies_not_ours = 0;   ///< failed validation, or not a scanned address/port
};

/// Runs the whole scan. `interrupts` counts SIGINT/SIGTERM: 1 stops sending and waits a short
/// grace period for replies, 2 finishes at once. Every writer is finished (well-formed) on every
/// return path, also when a writer throws OutputError (rethrown after the others are closed).
/// Throws UsageError/RuntimeError for setup failures, before anything is sent.
ScanOutcome run_scan(const ScanPlan& plan, std::vector<std::unique_ptr<output::ResultWriter>>& writers,
                     const std::atomic<int>& interrupts);

/// The same over `link` instead of the network (plan.interface, source_ip, router_mac, user,
/// send_backend and offline are then not used).
ScanOutcome run_scan(const ScanPlan& plan, std::vector<std::unique_ptr<output::ResultWriter>>& writers,
                     const std::atomic<int>& interrupts, std::unique_ptr<InjectedLink> link);

}  // namespace synscan::scanner
