#pragma once
// Interruption and resume.
//
// On SIGINT/SIGTERM the engine writes a resume file: the whole scan plan (so `--resume FILE`
// needs nothing else but new output files), the groups already written out, and for each group
// that was in flight the raw state-table entry of every probe (send count, final result, TTL,
// reported bit). A resumed run skips finished groups, restores in-flight ones so answered probes
// are never re-sent, per-port JSON records are never repeated, and no probe gets more sends than
// its retry budget across all runs.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "scanner/scan_plan.hpp"

namespace synscan::scanner {

struct ResumeState {
  std::uint64_t fingerprint = 0;         // of everything that decides the probe order
  std::uint32_t hosts_per_group = 0;
  std::uint64_t done_below = 0;          // every group < done_below is written out
  std::vector<std::uint64_t> done_above; // sorted finished groups >= done_below
  std::vector<std::pair<std::uint64_t, std::vector<std::uint32_t>>> in_flight;  // group -> entries
  bool complete = false;

  [[nodiscard]] bool group_done(std::uint64_t group) const noexcept;
  [[nodiscard]] const std::vector<std::uint32_t>* saved_entries(std::uint64_t group) const noexcept;
};

/// Identity of the probe order: targets, ports, seed, shard, hosts per group.
std::uint64_t plan_fingerprint(const ScanPlan& plan, std::uint32_t hosts_per_group);

/// Serialises plan + state. Throws RuntimeError when the file cannot be written.
void write_resume_file(int fd, const std::string& path, const ScanPlan& plan, const ResumeState& state);

/// Reads a resume file into `plan` (every scan setting; outputs are left empty for the caller)
/// and returns the state. Throws UsageError naming file:line on malformed content.
ResumeState read_resume_file(const std::string& path, ScanPlan& plan);

}  // namespace synscan::scanner
