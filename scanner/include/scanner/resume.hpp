#pragma once
// Interruption and resume.
//
// On SIGINT/SIGTERM the engine writes a resume file: the whole scan plan (so `--resume FILE`
// needs nothing else but new output files), the groups already written out, and for each group
// that was in flight the state-table entry of every probe (send count, final result, TTL,
// reported bit). A resumed run skips finished groups, restores in-flight ones so answered probes
// are never re-sent, per-port JSON records are never repeated, and no probe gets more sends than
// its retry budget across all runs.
//
// Format 4 (text, one record per line; README "Interrupt and resume"):
//   synscan-resume 4
//   status interrupted|complete
//   command; the scan settings, one per line: NAME [VALUE] as on the command line (scanner/options.hpp)
//   hosts-per-group, fingerprint, done-below, done
//   group G N RUNS     in-flight group G: N entries as hex runs "VALUE" or "VALUE*COUNT"
//   end CHECKSUM       FNV-1a 64 of every byte before this line, 16 hex digits
// A reader refuses with one line (UsageError) a file that is truncated, fails its checksum,
// names groups or sizes the plan cannot have, or whose plan does not match its fingerprint.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scanner/options.hpp"
#include "scanner/scan_plan.hpp"

namespace synscan::scanner {

/// One in-flight group's saved entries, run-length encoded: most entries of an interrupted group
/// hold the same value (sent once, no answer yet), so a 65,000-entry group is a few runs.
/// The slot generation (state-table bits 10..15) is dropped: restore_entry sets its own.
class SavedGroup {
 public:
  SavedGroup() = default;
  /// Compresses raw state-table entries.
  SavedGroup(const std::vector<std::uint32_t>& entries);  // NOLINT: implicit, as the engine hands vectors
  /// Appends `count` entries of `value` (generation bits dropped).
  void append(std::uint32_t value, std::uint64_t count);

  [[nodiscard]] std::uint64_t size() const noexcept { return runs_.empty() ? 0 : runs_.back().end; }
  /// Entry `index` (< size()); O(log runs).
  [[nodiscard]] std::uint32_t operator[](std::uint64_t index) const noexcept;
  [[nodiscard]] std::vector<std::uint32_t> expand() const;
  bool operator==(const SavedGroup& other) const = default;

  struct Run {
    std::uint32_t end;  ///< one past the run's last entry (a group has < 2^32 entries)
    std::uint32_t value;
    bool operator==(const Run& other) const = default;
  };
  [[nodiscard]] const std::vector<Run>& runs() const noexcept { return runs_; }

 private:
  std::vector<Run> runs_;
};

struct ResumeState {
  std::uint64_t fingerprint = 0;         // of everything that decides the probe order
  std::uint32_t hosts_per_group = 0;
  std::uint64_t done_below = 0;          // every group < done_below is written out
  std::vector<std::uint64_t> done_above; // sorted finished groups >= done_below
  std::vector<std::pair<std::uint64_t, SavedGroup>> in_flight;  // group -> entries
  bool complete = false;

  [[nodiscard]] bool group_done(std::uint64_t group) const noexcept;
  [[nodiscard]] const SavedGroup* saved_entries(std::uint64_t group) const noexcept;

  /// Before saving: adds what `previous` (the run this one resumed, or null) had finished, and
  /// its saved groups this run never reopened; folds finished groups into done_below; marks the
  /// state complete when the scan finished or nothing is left of its `group_count` groups.
  void settle(const ResumeState* previous, std::uint64_t group_count, bool scan_finished);
};

/// Identity of the probe order: targets, ports, seed, shard, hosts per group.
std::uint64_t plan_fingerprint(const ScanPlan& plan, std::uint32_t hosts_per_group);

/// The text of a resume file for plan + state, checksum line included.
std::string format_resume_file(const ScanPlan& plan, const ResumeState& state);

/// Parses a resume file's text and returns the state. Its settings (the options the table marks
/// kStored) go through the options' own parsers into `values`, on top of what `values` already
/// holds (the resuming command line's per-run options), and values.plan is resolved from them.
/// `name` labels messages. Throws UsageError with one line ("NAME:LINE: why" or "NAME: why") on
/// anything it cannot trust.
ResumeState parse_resume_file(std::string_view text, const std::string& name, OptionValues& values);

/// Reads and parses the file at `path` (files over kMaxResumeFileBytes are refused unread).
ResumeState read_resume_file(const std::string& path, OptionValues& values);
/// The same into a plain plan (no per-run options).
ResumeState read_resume_file(const std::string& path, ScanPlan& plan);

/// Largest resume file read: far above what a scan writes (a /16 x 1000-port scan interrupted at
/// full rate writes well under 1 MiB), small enough that what a file can make the reader hold
/// stays bounded: a run costs 8 bytes and at least 2 bytes of text, so at most 128 MiB.
inline constexpr std::uint64_t kMaxResumeFileBytes = std::uint64_t{32} << 20;

}  // namespace synscan::scanner
