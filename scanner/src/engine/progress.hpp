#pragma once
// The progress stage, on the calling thread: the once-a-second stderr line (counters read with
// relaxed loads) and the closing two-line summary.
#include <cstdint>
#include <string>
#include <string>

#include "engine/collector.hpp"
#include "engine/shared.hpp"
#include "rate/token_bucket.hpp"

namespace synscan::scanner::engine {

class Progress {
 public:
  Progress(const ScanPlan& plan, const ScanOrder& order, const Shared& shared) noexcept
      : plan_(plan), order_(order), shared_(shared), started_(rate::monotonic_now()), last_(started_) {}

  /// The first progress line, before anything is sent: "synscan: sending with <send_path>".
  static void announce(const std::string& send_path);
  /// "synscan: 12.3% sent, ... pps now ..." with the rates since the last line.
  void line();
  /// Says which hosts were newly found to rate-limit their answers (Shared::pace_board), once
  /// each, the first kMaxLimitLines of them by name; with the progress line or -v.
  void report_limits();
  [[nodiscard]] std::string limited_suffix() const;
  /// Says once what the path controller found (Shared::path): a limit confirmed, or a fall of the
  /// answers that lowering the rate did not cure; with the progress line or -v.
  void report_path();
  /// The closing summary: states, hosts up, probes and what became of the replies (and of the
  /// path's limit, when one was seen).
  void final_lines(const Totals& totals) const;
  [[nodiscard]] double elapsed_seconds() const noexcept;

 private:
  void path_summary() const;

  const ScanPlan& plan_;
  const ScanOrder& order_;
  const Shared& shared_;
  rate::Nanoseconds started_;
  rate::Nanoseconds last_;
  std::uint64_t last_frames_ = 0;
  std::uint64_t last_bytes_ = 0;
  bool path_limit_reported_ = false;
  std::uint32_t false_alarms_reported_ = 0;
  std::uint32_t limits_reported_ = 0;
  static constexpr std::uint32_t kMaxLimitLines = 10;
};

}  // namespace synscan::scanner::engine
