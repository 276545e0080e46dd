#pragma once
// The resume stage: what an interrupted scan leaves behind so `--resume` can finish it. The
// collector records each group it writes out (done, or cut short with its entries); at the end
// the state is merged with the resumed-from run's and written (format: scanner/resume.hpp).
// Collector (calling) thread only.
#include <cstdint>
#include <string>
#include <vector>

#include "resume_file.hpp"
#include "scanner/resume.hpp"
#include "scanner/scan_order.hpp"
#include "scanner/scan_plan.hpp"

namespace synscan::scanner::engine {

class ResumeRecorder {
 public:
  /// Creates the resume file now, while we may still write there (a root scan drops its
  /// privileges before the first probe). No file (a warning) when it cannot be created; none
  /// either when there is only stdout output and no --resume-file (resume_file.hpp).
  explicit ResumeRecorder(const ScanPlan& plan) : plan_(plan), file_(ResumeFile::open(plan)) {}

  void group_done(std::uint64_t group) { state_.done_above.push_back(group); }
  /// A group cut short: its entries (state-table form) are saved, probes not final get sent again.
  void group_in_flight(std::uint64_t group, const std::vector<std::uint32_t>& entries) {
    state_.in_flight.emplace_back(group, SavedGroup(entries));
  }
  /// Writes the file (errors are logged); `complete` marks a scan with nothing left to resume.
  void save(const ScanOrder& order, bool complete);

 private:
  const ScanPlan& plan_;
  ResumeState state_;
  ResumeFile file_;
};

}  // namespace synscan::scanner::engine
