#pragma once
// The collect stage, on the calling thread: per-port records as soon as they are final
// (streaming, for JSON lines), each finished group's hosts to every writer, the resume record of
// each group, then the slot back to the window. A writer that fails (OutputError) is closed and
// stops the scan; the others carry on and are finished well-formed.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <deque>
#include <exception>
#include <memory>
#include <vector>

#include "engine/resources.hpp"
#include "engine/resume_state.hpp"
#include "engine/service_hook.hpp"
#include "engine/shared.hpp"
#include "output/writers.hpp"

namespace synscan::scanner::engine {

/// What the collector has written so far (collector thread; read by the closing line).
struct Totals {
  std::uint64_t hosts_up = 0;
  std::uint64_t states[4] = {};  ///< by output::PortState
};

class Collector {
 public:
  Collector(const ScanPlan& plan, Resources& resources,
            std::vector<std::unique_ptr<output::ResultWriter>>& writers, ResumeRecorder& resume);

  void begin();
  /// One pass: streams new per-port records, writes the finished groups, ends the writers' batch.
  void collect(const std::deque<DoneGroup>& done);
  /// --banners: after the SYN scan, waits for the service stage and writes the hosts it held.
  void finish_services(const std::atomic<int>& interrupts, std::chrono::steady_clock::time_point scan_end);
  void finish(const output::ScanSummary& summary);

  [[nodiscard]] const Totals& totals() const noexcept { return totals_; }
  [[nodiscard]] bool failed() const noexcept { return output_error_ != nullptr; }
  /// Rethrows the first writer's OutputError, if any.
  void rethrow_if_failed() const;

 private:
  void stream_port_results();
  void stream_group(GroupSlot at, std::time_t now);
  void write_group(const DoneGroup& done);
  bool count_if_silent(GroupSlot at, std::uint32_t local_host, bool interrupted);
  void write_host(GroupSlot at, std::uint32_t local_host, bool interrupted, std::time_t now);
  void emit_port(std::uint32_t address, const output::PortResult& result, std::time_t when);
  [[nodiscard]] bool wants_record(const output::PortResult& result) const noexcept;
  void record(std::uint32_t address, const output::PortResult& result, std::time_t when);
  void write_held(HeldHost& held);
  template <typename Call>
  void for_each_writer(Call&& call);

  const ScanPlan& plan_;
  Resources& resources_;
  std::vector<std::unique_ptr<output::ResultWriter>>& writers_;
  ResumeRecorder& resume_;
  const std::uint32_t probes_per_host_;
  const bool streams_ports_;  ///< some output consumes per-port records (JSON lines)
  /// No per-port record is due for a silent probe and every probe is this shard's: a host that
  /// answered nothing is only counted.
  const bool counts_silent_hosts_;
  std::vector<output::PortResult> host_ports_;  ///< scratch, reused per host
  Totals totals_;
  std::exception_ptr output_error_;
  std::unique_ptr<ServiceHook> services_;  ///< --banners only
};

}  // namespace synscan::scanner::engine
