#pragma once
/// Adapts the send rate to a stateful device in the path (issue 13): a firewall, NAT or security
/// group whose connection-tracking table drops new flows while it is full. Such a path carries
/// about table size / entry lifetime new flows a second; above that, the answer ratio falls.
///
/// ## What it is fed
/// Totals since the scan started, polled often (every capture dispatch): probes sent for the first
/// time, answers to probes sent once (so retries, which go to ports that did not answer, do not
/// lower the ratio), and every frame sent (the rate the path sees). Time is cut into bins of
/// `bin_width`, bins are merged into windows until the answers a window should get at the
/// reference ratio reach `min_expected_answers`, and each such window is judged (a mostly dark
/// network, or a rate too low to fill a window in `max_window_bins`, is never judged: no action).
///
/// ## When it acts
/// The reference ratio is the answer ratio of healthy windows (an average that follows rises at
/// once and falls slowly). At the ceiling (`kFull`), `lossy_windows_to_act` consecutive windows
/// answering below (1 - `lossy_fall`) of the reference lower the rate to what the path carried
/// (send rate x ratio / reference over the last `carried_windows` windows: a table whose entries
/// were added in a burst frees them in a burst one lifetime later, so a single window says
/// little) times `backoff_margin` (`kConfirming`). A rate-dependent loss recovers once the rate is
/// lower: `recovered_windows` windows back within `recovered_fall` of the reference confirm it
/// (`kLimited`); a window back in range ends the low stretch. Until then every `recovered_windows` + 1 lossy windows lower it again (a table
/// frees nothing until its first entries expire). Loss that does not depend on the rate (a dark region of the targets) does not
/// recover; after `confirm_time` (and at least `lossy_windows_to_act` + `recovered_windows` judged
/// windows, all low) the rate returns to the ceiling and the reference becomes the new
/// ratio (counted as a false alarm). At a constant rate random loss of any amount gives a
/// stationary ratio, so the reference already includes it: no trigger.
///
/// While `kLimited` (AIMD): a window below (1 - `recovered_fall`) of the reference lowers the rate
/// again to what the path carried (at most once per `recovered_windows` + 1 windows); every
/// healthy window that sent at `tested_fraction` of the rate or more adds `increase_per_second` of
/// the rate (at least `min_increase_per_second` of the ceiling; probing upward); at the ceiling it is
/// `kFull` again; a loss that stays `confirm_time` is a false alarm as above. `--rate` (the
/// ceiling) is never exceeded, and the rate never goes below `floor_fraction` of it.
///
/// ## Re-probing
/// `lossy_until()` is the end of the latest bin in which probes were lost to the path (set from
/// the first back-off on; never while only `kFull`): a group with probes sent before it may have
/// lost them and re-sends its unanswered probes once the rate is lower.
///
/// The PathSaturationDetector (answer_pace.hpp) is fed the same first tries: its verdict (ratio
/// below / above the carried rate, confirmed by the recovery) is reported beside the controller's.
///
/// Plain value, owned by one thread (the receive thread); no allocation after construction.
#include <array>
#include <chrono>
#include <cstdint>

#include "rate/answer_pace.hpp"

namespace synscan::rate {

struct PathRateConfig {
  Nanoseconds bin_width = std::chrono::milliseconds(250);
  /// A window (consecutive bins, at most `max_window_bins`) is judged once the answers it should
  /// get at the reference ratio reach this: the ratio's noise is then a few percent at most.
  double min_expected_answers = 300;
  std::uint32_t max_window_bins = 8;
  double lossy_fall = 0.2;  ///< relative fall of the ratio that is a loss at the ceiling
  std::uint32_t lossy_windows_to_act = 2;
  double recovered_fall = 0.1;  ///< within this of the reference = healthy (and lossy when limited)
  std::uint32_t recovered_windows = 2;
  /// How long the ratio may stay low after a back-off before the loss is taken as not the
  /// path's: about the longest entry lifetime whose table is recognised.
  Nanoseconds confirm_time = std::chrono::milliseconds(5000);
  std::uint32_t carried_windows = 4;  ///< the carried rate is averaged over the last windows
  double backoff_margin = 0.9;        ///< new rate = carried estimate x this
  double increase_per_second = 0.1;        ///< of the rate, while limited ...
  double min_increase_per_second = 0.01;   ///< ... but at least this much of the ceiling,
  double tested_fraction = 0.9;            ///< ... when the window sent at least this of the rate
  double floor_fraction = 1.0 / 64;
  double reference_gain = 0.125;  ///< weight of a healthy window below the reference
};

enum class PathState : std::uint8_t {
  kFull,        ///< at the ceiling, nothing rate-dependent seen (or it went away)
  kConfirming,  ///< backed off; waiting for the ratio to recover
  kLimited,     ///< the path's limit is confirmed: rate adapted (AIMD)
};

/// What the controller found, for the progress line and the closing summary.
struct PathLimit {
  bool confirmed = false;     ///< a rate-dependent loss was confirmed at least once
  double fell_to = 0.0;       ///< the first back-off's answer ratio / reference (0..1)
  double fell_above = 0.0;    ///< the send rate (pps) at which it fell
  double lowest = 0.0;        ///< lowest rate set after a confirmation (pps)
  std::uint32_t backoffs = 0;
  std::uint32_t false_alarms = 0;  ///< back-offs after which the ratio did not recover
};

class PathRateController {
 public:
  /// `ceiling`: --rate (> 0).
  PathRateController(double ceiling, Nanoseconds start, PathRateConfig config = {}) noexcept;

  /// Totals at `now` (monotonic, non-decreasing): first tries sent, answers to probes sent once,
  /// frames sent. Closes the bins that ended; returns true when rate() changed.
  bool update(Nanoseconds now, std::uint64_t first_sends, std::uint64_t first_answers,
              std::uint64_t frames) noexcept;

  [[nodiscard]] double rate() const noexcept { return rate_; }
  [[nodiscard]] PathState state() const noexcept { return state_; }
  /// End of the latest bin that lost probes to the path (0: none since the start).
  [[nodiscard]] Nanoseconds lossy_until() const noexcept { return lossy_until_; }
  [[nodiscard]] double reference_ratio() const noexcept { return reference_; }
  [[nodiscard]] const PathLimit& limit() const noexcept { return limit_; }
  /// The detector's latest verdict other than None (a Confirmed one is kept over a later
  /// FallsAboveRate): its bins cover the last 16 s only, the scan's summary wants what was found.
  [[nodiscard]] const PathReport& detector() const noexcept { return detected_; }

 private:
  struct Window {
    double seconds = 0;
    double first_sends = 0;
    double first_answers = 0;
    double frames = 0;
    std::uint32_t bins = 0;
  };
  struct Carried {
    double seconds = 0;
    double frames_carried = 0;  ///< frames x ratio / reference
  };
  void close_bin(const Window& bin, Nanoseconds end) noexcept;
  void judge(const Window& window, Nanoseconds end) noexcept;
  void judge_at_ceiling(double relative, const Window& window, bool healthy, double ratio,
                        Nanoseconds end) noexcept;
  void limited_window(const Window& window, bool healthy, double ratio, Nanoseconds end) noexcept;
  [[nodiscard]] double carried_rate() const noexcept;
  void back_off(Nanoseconds end) noexcept;
  void false_alarm(double ratio) noexcept;
  void follow_reference(double ratio) noexcept;
  void set_rate(double rate) noexcept;

  static constexpr std::uint32_t kMaxCarried = 16;

  PathRateConfig config_;
  double ceiling_;
  double rate_;
  PathState state_ = PathState::kFull;
  double reference_ = 0.0;
  Window window_{};
  std::array<Carried, kMaxCarried> carried_{};
  std::uint32_t carried_next_ = 0;
  std::uint32_t carried_count_ = 0;
  double last_ratio_ = 0.0;  ///< of the last judged window
  std::uint32_t lossy_run_ = 0;
  std::uint32_t healthy_run_ = 0;
  std::uint32_t windows_since_backoff_ = 0;
  std::uint32_t low_windows_ = 0;  ///< judged windows in a row below the healthy range
  Nanoseconds low_since_{-1};  ///< kConfirming/kLimited: start of the current low stretch, -1 none
  Nanoseconds lossy_until_{0};
  Nanoseconds bin_start_;
  std::uint64_t last_first_sends_ = 0, last_first_answers_ = 0, last_frames_ = 0;  ///< at bin start
  std::uint64_t poll_first_sends_ = 0, poll_first_answers_ = 0;                   ///< at last update
  bool rate_changed_ = false;
  PathLimit limit_{};
  PathSaturationDetector detector_;
  PathReport detected_{};
};

}  // namespace synscan::rate
