#include "engine/progress.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "net/ipv4_address.hpp"
#include "rate/path_rate.hpp"

namespace synscan::scanner::engine {
namespace {

std::string format_duration(double seconds) {
  const auto total = static_cast<long>(seconds + 0.5);
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  return text;
}

unsigned long long value(const std::atomic<std::uint64_t>& counter) noexcept {
  return counter.load(std::memory_order_relaxed);
}

// ", path limited: holding 27000 pps" while the path controller holds the rate below --rate.
std::string path_status(const PathPublished& path) {
  const auto state = static_cast<rate::PathState>(path.state.load(std::memory_order_relaxed));
  if (state == rate::PathState::kFull) return "";
  char text[96];
  std::snprintf(text, sizeof text, ", %s %.0f pps",
                state == rate::PathState::kLimited ? "path limited: holding" : "answers fell: trying",
                path.rate.load(std::memory_order_relaxed));
  return text;
}

}  // namespace

double Progress::elapsed_seconds() const noexcept {
  return std::chrono::duration<double>(rate::monotonic_now() - started_).count();
}

void Progress::announce(const std::string& send_path) {
  std::fprintf(stderr, "synscan: sending with %s\n", send_path.c_str());
}

void Progress::line() {
  const rate::Nanoseconds now = rate::monotonic_now();
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  const double since_last = std::chrono::duration<double>(now - last_).count();
  const std::uint64_t frames = shared_.transmitted(&TransmitCounters::frames_sent);
  const std::uint64_t bytes = shared_.transmitted(&TransmitCounters::frame_bytes);
  const double pps_now = since_last > 0 ? static_cast<double>(frames - last_frames_) / since_last : 0;
  const double pps_average = elapsed > 0 ? static_cast<double>(frames) / elapsed : 0;
  // Line rate like a NIC counter: frame bytes (Ethernet minimum 60 + 4 FCS) + 20 bytes of
  // preamble and inter-frame gap per frame.
  const double wire_bits_now =
      static_cast<double>(bytes - last_bytes_ + 24 * (frames - last_frames_)) * 8;
  const double gbps_now = since_last > 0 ? wire_bits_now / since_last / 1e9 : 0;
  last_ = now;
  last_frames_ = frames;
  last_bytes_ = bytes;
  const std::uint64_t total = std::max<std::uint64_t>(order_.shard_probe_count(), 1);
  const double done =
      static_cast<double>(shared_.transmitted(&TransmitCounters::first_pass_probes)) / static_cast<double>(total);
  const double eta = done > 0 ? elapsed / done - elapsed : 0;
  std::fprintf(stderr,
               "synscan: %5.1f%% sent, %.0f pps now (%.0f avg, %.3f Gbit/s), ETA %s, %llu open, "
               "%llu capture drops, %llu send errors%s\n",
               done * 100, pps_now, pps_average, gbps_now, format_duration(eta).c_str(),
               value(shared_.receive.open_found),
               value(shared_.receive.kernel_drops) + value(shared_.receive.interface_drops),
               static_cast<unsigned long long>(shared_.transmitted(&TransmitCounters::send_errors)),
               (limited_suffix() + path_status(shared_.path)).c_str());
}

// ", 2 hosts rate-limited (paced)" once any host was found limiting its answers.
std::string Progress::limited_suffix() const {
  const std::uint32_t limited = shared_.pace_board.size();
  if (limited == 0) return {};
  return ", " + std::to_string(limited) + (limited == 1 ? " host" : " hosts") + " rate-limited (paced)";
}

void Progress::report_path() {
  if (!(plan_.progress || plan_.verbosity > 0)) return;
  const PathPublished& path = shared_.path;
  const double fell_to = path.fell_to.load(std::memory_order_relaxed) * 100;
  const double fell_above = path.fell_above.load(std::memory_order_relaxed);
  const double now = path.rate.load(std::memory_order_relaxed);
  if (!path_limit_reported_ && path.confirmed.load(std::memory_order_relaxed)) {
    path_limit_reported_ = true;
    std::fprintf(stderr, "synscan: answers fell to %.0f%% above %.0f pps: path limited, holding %.0f pps\n",
                 fell_to, fell_above, now);
  }
  const std::uint32_t false_alarms = path.false_alarms.load(std::memory_order_relaxed);
  if (false_alarms != false_alarms_reported_) {
    false_alarms_reported_ = false_alarms;
    std::fprintf(stderr,
                 "synscan: answers fell to %.0f%% above %.0f pps but did not recover at a lower rate: "
                 "not the path, back to %.0f pps\n",
                 fell_to, fell_above, now);
  }
}

void Progress::report_limits() {
  const PaceBoard& board = shared_.pace_board;
  const std::uint32_t published = board.size();
  if (published == limits_reported_ || !(plan_.progress || plan_.verbosity > 0)) return;
  for (; limits_reported_ < published; ++limits_reported_) {
    if (limits_reported_ >= kMaxLimitLines) {
      std::fprintf(stderr, "synscan: %u more hosts rate-limit their answers: slowing down for them\n",
                   published - limits_reported_);
      limits_reported_ = published;
      return;
    }
    const PaceBoard::Limit limit = board.at(limits_reported_);
    std::fprintf(stderr, "synscan: %s answers ~%.3g %s/s: slowing down for it\n",
                 net::Ipv4Address(limit.host).to_string().c_str(), limit.answers_per_second,
                 limit.kind == PaceBoard::Kind::kRst ? "RST" : "ICMP");
  }
}

void Progress::final_lines(const Totals& totals) const {
  const double elapsed = elapsed_seconds();
  const std::uint64_t frames = shared_.transmitted(&TransmitCounters::frames_sent);
  const double pps_average = elapsed > 0 ? static_cast<double>(frames) / elapsed : 0;
  const ReceiveCounters& receive = shared_.receive;
  std::fprintf(
      stderr,
      "synscan: done in %.2f s: %llu hosts up of %llu; ports: %llu open, %llu closed, %llu filtered, "
      "%llu open|filtered\n"
      "synscan: sent %llu probes (%llu retries) at %.0f pps avg; replies: %llu matched, %llu "
      "duplicate, %llu late, %llu not ours, %llu malformed; capture drops %llu; send errors %llu\n",
      elapsed, static_cast<unsigned long long>(totals.hosts_up),
      static_cast<unsigned long long>(plan_.targets.size()),
      static_cast<unsigned long long>(totals.states[0]), static_cast<unsigned long long>(totals.states[1]),
      static_cast<unsigned long long>(totals.states[2]), static_cast<unsigned long long>(totals.states[3]),
      static_cast<unsigned long long>(frames),
      static_cast<unsigned long long>(shared_.transmitted(&TransmitCounters::retry_probes)), pps_average,
      value(receive.results), value(receive.duplicates), value(receive.late),
      value(receive.not_ours) + value(receive.not_a_target), value(receive.parse_rejects),
      value(receive.kernel_drops) + value(receive.interface_drops),
      static_cast<unsigned long long>(shared_.transmitted(&TransmitCounters::send_errors)));
  if (const std::uint32_t limited = shared_.pace_board.size(); limited > 0) {
    std::fprintf(stderr,
                 "synscan: %u host%s rate-limited %s answers: %s unanswered ports re-probed at %s pace\n",
                 limited, limited == 1 ? "" : "s", limited == 1 ? "its" : "their",
                 limited == 1 ? "its" : "their", limited == 1 ? "its" : "their");
  }
  path_summary();
}

// "synscan: path limited: ..." when the path controller backed off at least once.
void Progress::path_summary() const {
  const PathPublished& path = shared_.path;
  const std::uint32_t backoffs = path.backoffs.load(std::memory_order_relaxed);
  if (backoffs == 0) return;
  const std::uint32_t false_alarms = path.false_alarms.load(std::memory_order_relaxed);
  std::fprintf(stderr,
               "synscan: %s: answers fell to %.0f%% above %.0f pps; %u back-off%s (lowest %.0f pps), "
               "%u without recovery; %llu probes re-sent after losses\n",
               path.confirmed.load(std::memory_order_relaxed) ? "path limited" : "no path limit confirmed",
               path.fell_to.load(std::memory_order_relaxed) * 100,
               path.fell_above.load(std::memory_order_relaxed), backoffs, backoffs == 1 ? "" : "s",
               path.lowest.load(std::memory_order_relaxed), false_alarms,
               static_cast<unsigned long long>(shared_.transmitted(&TransmitCounters::reprobes)));
}

}  // namespace synscan::scanner::engine
