#include "rate/answer_pace.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace synscan::rate {
namespace {

double seconds_of(std::int64_t nanoseconds) noexcept {
  return static_cast<double>(nanoseconds) * 1e-9;
}

// Fibonacci hashing: consecutive addresses (a /24's hosts) spread over the table.
std::uint32_t slot_of(std::uint32_t host, std::uint32_t mask) noexcept {
  return static_cast<std::uint32_t>((host * 2654435769u) >> 7) & mask;
}

}  // namespace

// Fixed-size evidence about one host: counts and the moments of the steady-phase answer gaps.
struct HostPaceDetector::Host {
  std::uint32_t host = 0;
  bool used = false;
  std::uint32_t sent = 0;
  std::uint32_t errors = 0;     // IcmpError + Rst answers
  std::uint32_t positives = 0;  // Positive answers
  std::uint32_t sent_at_steady = 0;
  std::uint32_t positives_at_steady = 0;
  std::uint32_t steady_gaps = 0;
  std::int64_t last_answer_ns = 0;
  std::int64_t last_event_ns = 0;
  double gap_sum = 0.0;         // seconds
  double gap_square_sum = 0.0;  // seconds^2
  double max_gap = 0.0;         // seconds
};

HostPaceDetector::HostPaceDetector(std::uint32_t capacity, HostPaceConfig config)
    : config_(config),
      mask_(std::bit_ceil(std::max(capacity, kProbeLength)) - 1),
      hosts_(std::make_unique<Host[]>(mask_ + 1)) {}

HostPaceDetector::~HostPaceDetector() = default;
HostPaceDetector::HostPaceDetector(HostPaceDetector&&) noexcept = default;
HostPaceDetector& HostPaceDetector::operator=(HostPaceDetector&&) noexcept = default;

HostPaceDetector::Host* HostPaceDetector::find(std::uint32_t host) const noexcept {
  const std::uint32_t start = slot_of(host, mask_);
  for (std::uint32_t step = 0; step < kProbeLength; ++step) {
    Host& entry = hosts_[(start + step) & mask_];
    if (entry.used && entry.host == host) return &entry;
  }
  return nullptr;
}

HostPaceDetector::Host& HostPaceDetector::find_or_insert(std::uint32_t host,
                                                         Nanoseconds now) noexcept {
  const std::uint32_t start = slot_of(host, mask_);
  Host* free_slot = nullptr;
  Host* oldest = nullptr;
  for (std::uint32_t step = 0; step < kProbeLength; ++step) {
    Host& entry = hosts_[(start + step) & mask_];
    if (entry.used && entry.host == host) return entry;
    if (!entry.used) {
      if (free_slot == nullptr) free_slot = &entry;
    } else if (oldest == nullptr || entry.last_event_ns < oldest->last_event_ns) {
      oldest = &entry;
    }
  }
  Host& chosen = free_slot != nullptr ? *free_slot : *oldest;
  if (free_slot == nullptr) ++evictions_;
  chosen = Host{};
  chosen.host = host;
  chosen.used = true;
  chosen.last_event_ns = now.count();
  return chosen;
}

void HostPaceDetector::on_sent(std::uint32_t host, Nanoseconds now, std::uint32_t count) noexcept {
  Host& entry = find_or_insert(host, now);
  entry.sent += count;
  entry.last_event_ns = now.count();
}

bool HostPaceDetector::on_reply(std::uint32_t host, ReplyKind kind, Nanoseconds now) noexcept {
  Host& entry = find_or_insert(host, now);
  entry.last_event_ns = now.count();
  if (kind == ReplyKind::Positive) {
    ++entry.positives;
    return false;
  }
  ++entry.errors;
  if (entry.errors == config_.burst_answers + 1) {  // first steady answer: the measure starts
    entry.sent_at_steady = entry.sent;
    entry.positives_at_steady = entry.positives;
  } else if (entry.errors > config_.burst_answers + 1) {
    const double gap = seconds_of(now.count() - entry.last_answer_ns);
    ++entry.steady_gaps;
    entry.gap_sum += gap;
    entry.gap_square_sum += gap * gap;
    entry.max_gap = std::max(entry.max_gap, gap);
  }
  entry.last_answer_ns = now.count();
  return entry.steady_gaps + 1 >= config_.min_steady_answers;
}

HostPaceReport HostPaceDetector::report(std::uint32_t host) const noexcept {
  const Host* entry = find(host);
  if (entry == nullptr) return {};
  HostPaceReport out;
  out.probes_sent = entry->sent;
  out.error_answers = entry->errors;
  if (entry->steady_gaps + 1 < config_.min_steady_answers || entry->gap_sum <= 0.0) return out;

  // Probes that could have drawn an error answer in the steady phase: sent since its start,
  // minus those answered positively.
  const std::uint32_t sent = entry->sent - entry->sent_at_steady;
  const std::uint32_t positives = entry->positives - entry->positives_at_steady;
  const double waiting = sent > positives ? static_cast<double>(sent - positives) : 0.0;
  const double gaps = static_cast<double>(entry->steady_gaps);
  const double ratio = waiting > 0.0 ? gaps / waiting : 1.0;
  const double mean = entry->gap_sum / gaps;
  const double variance = std::max(0.0, entry->gap_square_sum / gaps - mean * mean);
  const double cv = std::sqrt(variance) / mean;

  const bool regular = cv <= config_.regular_cv;
  const bool clustered = cv >= config_.clustered_cv;
  if (ratio > config_.max_answer_ratio || !(regular || clustered)) {
    out.pace = HostPace::Unlimited;
    return out;
  }
  out.pace = HostPace::Limited;
  // A bunch-per-period pattern: the last bunch's silence is not seen yet; count it as the
  // longest seen, so the estimate is per whole period.
  out.answers_per_second =
      regular ? gaps / entry->gap_sum : gaps / (entry->gap_sum + entry->max_gap);
  return out;
}

PathSaturationDetector::PathSaturationDetector(Nanoseconds start,
                                               PathSaturationConfig config) noexcept
    : config_(config) {
  open_.start_ns = start.count();
}

void PathSaturationDetector::on_sent(Nanoseconds now, std::uint32_t count) noexcept {
  advance(now);
  open_.sends += count;
}

void PathSaturationDetector::on_reply(Nanoseconds now, std::uint32_t count) noexcept {
  advance(now);
  open_.answers += count;
}

void PathSaturationDetector::advance(Nanoseconds now) noexcept {
  const std::int64_t width = config_.bin_width.count();
  if (width <= 0 || now.count() < open_.start_ns + width) return;
  const std::int64_t bins_passed = (now.count() - open_.start_ns) / width;
  close_bin();
  open_ = Bin{open_.start_ns + bins_passed * width, 0, 0};
}

void PathSaturationDetector::close_bin() noexcept {
  if (open_.sends < config_.min_bin_sends) return;
  bins_[next_bin_] = open_;
  next_bin_ = (next_bin_ + 1) % kMaxBins;
  bin_count_ = std::min(bin_count_ + 1, kMaxBins);
  evaluate();
}

namespace {

struct Split {
  std::uint32_t index = 0;  // bins [0, index) are the lower set
  double separation = 0.0;  // between-sets sum of squares of the bins' answer ratios
  double ratio_below = 0.0;
  double ratio_above = 0.0;
};

double ratio_of(const PathSaturationDetector::Bin& bin) noexcept {
  return static_cast<double>(bin.answers) / bin.sends;
}

// The split by send rate that best separates the bins' answer ratios (largest between-sets sum
// of squares, as a change-point or Otsu threshold: a saturating path's ratio does not fall in one
// step, and the largest relative fall would put the threshold too high), among the splits that
// pass the config's thresholds; index 0 when there is none. `sorted` is ordered by sends.
Split best_split(
    const std::array<PathSaturationDetector::Bin, PathSaturationDetector::kMaxBins>& sorted,
    std::uint32_t count, const PathSaturationConfig& config) noexcept {
  double total_sends = 0.0;
  double total_answers = 0.0;
  double total_ratios = 0.0;
  for (std::uint32_t i = 0; i < count; ++i) {
    total_sends += sorted[i].sends;
    total_answers += sorted[i].answers;
    total_ratios += ratio_of(sorted[i]);
  }
  Split best;
  double below_sends = 0.0;
  double below_answers = 0.0;
  double below_ratios = 0.0;
  for (std::uint32_t index = 1; index < count; ++index) {
    below_sends += sorted[index - 1].sends;
    below_answers += sorted[index - 1].answers;
    below_ratios += ratio_of(sorted[index - 1]);
    const std::uint32_t above_count = count - index;
    if (index < config.min_bins_per_side || above_count < config.min_bins_per_side) continue;
    const double above_sends = total_sends - below_sends;
    const double rate_step = (above_sends / above_count) / (below_sends / index);
    const double ratio_below = below_answers / below_sends;
    const double ratio_above = (total_answers - below_answers) / above_sends;
    if (rate_step < config.min_rate_step || ratio_below <= 0.0) continue;
    if (1.0 - ratio_above / ratio_below < config.min_ratio_drop) continue;
    const double mean_difference =
        below_ratios / index - (total_ratios - below_ratios) / above_count;
    const double separation =
        static_cast<double>(index) * above_count / count * mean_difference * mean_difference;
    if (separation > best.separation) best = Split{index, separation, ratio_below, ratio_above};
  }
  return best;
}

}  // namespace

void PathSaturationDetector::evaluate() noexcept {
  std::array<Bin, kMaxBins> sorted{};
  std::copy_n(bins_.begin(), bin_count_, sorted.begin());
  std::sort(sorted.begin(), sorted.begin() + bin_count_,
            [](const Bin& a, const Bin& b) { return a.sends < b.sends; });
  const Split split = best_split(sorted, bin_count_, config_);
  if (split.index == 0) {
    report_ = PathReport{};
    return;
  }
  std::int64_t first_above_ns = sorted[split.index].start_ns;
  for (std::uint32_t i = split.index; i < bin_count_; ++i) {
    first_above_ns = std::min(first_above_ns, sorted[i].start_ns);
  }
  // Recovered: a lower-rate bin after the first upper-rate one, answered nearer the lower ratio.
  const double midpoint = (split.ratio_below + split.ratio_above) / 2.0;
  bool recovered = false;
  for (std::uint32_t i = 0; i < split.index; ++i) {
    const double ratio = static_cast<double>(sorted[i].answers) / sorted[i].sends;
    if (sorted[i].start_ns > first_above_ns && ratio > midpoint) recovered = true;
  }
  report_.verdict = recovered ? PathVerdict::Confirmed : PathVerdict::FallsAboveRate;
  report_.carried_rate = sorted[split.index - 1].sends / seconds_of(config_.bin_width.count());
  report_.ratio_below = split.ratio_below;
  report_.ratio_above = split.ratio_above;
}

}  // namespace synscan::rate
