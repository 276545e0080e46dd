#pragma once
// The service stage's side of the collector (--banners), on the calling thread. An open TCP port
// goes to the service::BannerStage as soon as it is final (open_port); when its group is done
// the host is held (hold) until the stage's results for all its open ports are in, then written
// with its service facts (poll -> the collector's write callback). Hosts that answer as if every
// port were open are recognised from the answers (fake_open_reason).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "output/result.hpp"
#include "scanner/scan_plan.hpp"
#include "service/banner_stage.hpp"

namespace synscan::scanner::engine {

/// A host whose open ports are in the service stage.
struct HeldHost {
  std::uint32_t address = 0;
  std::vector<output::PortResult> ports;        ///< the host's results; set when its group is done
  std::vector<output::ServiceFacts> services;   ///< one per stage result, sorted by port at write
  std::time_t start_time = 0;
  std::time_t end_time = 0;
  std::uint32_t outstanding = 0;  ///< submitted, result not in yet
  bool ports_known = false;
  bool interrupted = false;
  std::uint32_t answered = 0;     ///< the server sent something
  std::uint32_t mute = 0;         ///< completed the handshake, then silent or closed at once
  bool cancelled = false;         ///< its queued ports were dropped (see ServiceHook::poll)
  std::string fake_open;          ///< set at write: why the host is marked
};

/// Counts for the closing line (calling thread).
struct ServiceTotals {
  std::uint64_t submitted = 0;
  std::uint64_t by_outcome[8] = {};  ///< by service::Outcome
  std::uint64_t fake_hosts = 0;
};

/// Why a host is marked as faking open ports, or "" (see service_hook.cpp for the rule).
/// `held` is null when the service stage did not run.
[[nodiscard]] std::string fake_open_reason(std::span<const output::PortResult> ports, const HeldHost* held);

class ServiceHook {
 public:
  using Write = std::function<void(HeldHost&)>;

  ServiceHook(const ScanPlan& plan, std::uint16_t avoid_ports_first, std::uint16_t avoid_ports_count);

  void open_port(std::uint32_t address, std::uint16_t port);
  /// True when the host has ports in the stage: it is kept (ports copied) and written by poll().
  bool hold(std::uint32_t address, std::span<const output::PortResult> ports, std::time_t start,
            std::time_t end, bool interrupted);
  /// Takes the stage's finished results and writes every host now complete.
  void poll(const Write& write);
  /// After the SYN scan: waits for the stage and writes the remaining hosts; on an interruption
  /// writes what is there at once.
  void drain(const Write& write, const std::atomic<int>& interrupts, const std::function<bool()>& failed);
  /// The closing line: outcomes, concurrency, how long the stage ran past the SYN scan.
  void final_line(std::chrono::steady_clock::time_point scan_end) const;
  [[nodiscard]] const ServiceTotals& totals() const noexcept { return totals_; }

 private:
  void write_ready(const Write& write, HeldHost& host);

  service::BannerStage stage_;
  std::unordered_map<std::uint32_t, HeldHost> held_;
  ServiceTotals totals_;
  std::chrono::steady_clock::time_point drained_at_{};
};

}  // namespace synscan::scanner::engine
