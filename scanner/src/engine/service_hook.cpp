#include "engine/service_hook.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace synscan::scanner::engine {
namespace {

// A host's first connections that all completed and never spoke: its other queued ports are
// dropped (a tarpit or SYN proxy must not cost one connection timeout per port).
constexpr std::uint32_t kMuteBeforeCancel = 8;

// The fake-open rule's thresholds (see fake_open_reason).
constexpr std::size_t kMinSample = 16;          // probed TCP ports, with the service stage
constexpr std::size_t kMinSampleSynOnly = 64;   // probed TCP ports, SYN answers alone
constexpr std::uint32_t kMinConnections = 4;    // completed connections to judge by

service::Limits limits_of(const ScanPlan& plan, std::uint16_t avoid_first, std::uint16_t avoid_count) {
  service::Limits limits;
  limits.max_connections = plan.banner_concurrency;
  const auto total = std::chrono::milliseconds(static_cast<long long>(plan.banner_timeout * 1000));
  limits.total_timeout = total;
  limits.connect_timeout = std::min(limits.connect_timeout, total);
  limits.avoid_ports_first = avoid_first;
  limits.avoid_ports_count = avoid_count;
  return limits;
}

}  // namespace

// A host fakes open ports when a large sample of its TCP ports (>= 16) is nearly all open (>= 95%)
// with one TTL and, where the service stage ran, at most 10% of its open ports ever sent a byte
// while at least 4 connections completed and then stayed silent or were closed at once: a SYN
// proxy or tarpit answers SYN-ACK for any port, then resets or holds the connection (services
// really behind a SYN proxy still speak, and keep their facts). An ordinary host with many open
// ports still refuses the ports it has no service on, and its services speak: either keeps it
// unmarked. Without the stage only the SYN answers count, and the sample must be >= 64 ports.
std::string fake_open_reason(std::span<const output::PortResult> ports, const HeldHost* held) {
  std::size_t probed = 0;
  std::size_t open = 0;
  std::set<std::uint8_t> ttls;
  for (const output::PortResult& port : ports) {
    if (port.protocol != output::Protocol::kTcp) continue;
    ++probed;
    if (port.state == output::PortState::kOpen) {
      ++open;
      ttls.insert(port.reason_ttl);
    }
  }
  const bool nearly_all_open = open * 100 >= probed * 95;
  if (!nearly_all_open || ttls.size() != 1) return {};
  const std::string syn_part = std::to_string(open) + " of " + std::to_string(probed) +
                               " probed TCP ports open, every SYN-ACK with TTL " + std::to_string(*ttls.begin());
  if (held == nullptr) {
    return probed >= kMinSampleSynOnly ? syn_part : std::string{};
  }
  // Ports the stage skipped (cancelled host) count as not speaking: they were queued behind
  // connections that never spoke.
  if (probed < kMinSample || held->mute < kMinConnections || held->answered * 10 > open) return {};
  return syn_part + "; " + std::to_string(held->answered) + " of " + std::to_string(open) +
         " open ports sent a byte (" + std::to_string(held->mute) +
         " connections completed, then stayed silent or closed at once)";
}

ServiceHook::ServiceHook(const ScanPlan& plan, std::uint16_t avoid_ports_first, std::uint16_t avoid_ports_count)
    : stage_(limits_of(plan, avoid_ports_first, avoid_ports_count)) {}

void ServiceHook::open_port(std::uint32_t address, std::uint16_t port) {
  HeldHost& host = held_[address];
  host.address = address;
  ++host.outstanding;
  ++totals_.submitted;
  stage_.submit({address, port});
}

bool ServiceHook::hold(std::uint32_t address, std::span<const output::PortResult> ports, std::time_t start,
                       std::time_t end, bool interrupted) {
  const auto found = held_.find(address);
  if (found == held_.end()) return false;
  HeldHost& host = found->second;
  host.ports.assign(ports.begin(), ports.end());
  host.start_time = start;
  host.end_time = end;
  host.interrupted = interrupted;
  host.ports_known = true;
  return true;
}

void ServiceHook::poll(const Write& write) {
  for (service::BannerResult& result : stage_.take_results()) {
    ++totals_.by_outcome[static_cast<int>(result.outcome)];
    HeldHost& host = held_[result.target.address];
    --host.outstanding;
    if (result.outcome == service::Outcome::kAnswered || result.outcome == service::Outcome::kTlsFailed) {
      ++host.answered;
    } else if (result.outcome == service::Outcome::kSilent || result.outcome == service::Outcome::kClosedAtOnce) {
      ++host.mute;
    }
    host.services.push_back(std::move(result.facts));
    if (!host.cancelled && host.answered == 0 && host.mute >= kMuteBeforeCancel) {
      host.cancelled = true;
      stage_.cancel_host(host.address);
    }
  }
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->second.ports_known && it->second.outstanding == 0) {
      write_ready(write, it->second);
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
}

void ServiceHook::write_ready(const Write& write, HeldHost& host) {
  std::sort(host.services.begin(), host.services.end(),
            [](const output::ServiceFacts& a, const output::ServiceFacts& b) { return a.port < b.port; });
  host.fake_open = fake_open_reason(host.ports, &host);
  if (!host.fake_open.empty()) ++totals_.fake_hosts;
  write(host);
}

void ServiceHook::drain(const Write& write, const std::atomic<int>& interrupts,
                        const std::function<bool()>& failed) {
  while (!held_.empty() && interrupts.load() == 0 && !failed()) {
    stage_.wait_for_results(std::chrono::milliseconds(100));
    poll(write);
  }
  // Interrupted (or an output failed): every host with what it has; a host whose group never
  // finished has no results to write.
  for (auto& [address, host] : held_) {
    if (host.ports_known) write_ready(write, host);
  }
  held_.clear();
  drained_at_ = std::chrono::steady_clock::now();
}

void ServiceHook::final_line(std::chrono::steady_clock::time_point scan_end) const {
  const service::StageStats stats = stage_.stats();
  const auto count = [&](service::Outcome outcome) {
    return static_cast<unsigned long long>(totals_.by_outcome[static_cast<int>(outcome)]);
  };
  const double after = std::chrono::duration<double>(drained_at_ - scan_end).count();
  std::fprintf(stderr,
               "synscan: banners: %llu connections: %llu answered, %llu silent, %llu closed at once, %llu "
               "refused, %llu connect timeouts, %llu TLS failures, %llu errors, %llu skipped; peak %zu in "
               "flight (limit %zu); %llu hosts faking open ports; stage ended %.2f s after the SYN scan\n",
               static_cast<unsigned long long>(totals_.submitted), count(service::Outcome::kAnswered),
               count(service::Outcome::kSilent), count(service::Outcome::kClosedAtOnce),
               count(service::Outcome::kRefused), count(service::Outcome::kConnectTimeout),
               count(service::Outcome::kTlsFailed), count(service::Outcome::kError),
               count(service::Outcome::kSkipped), stats.peak_in_flight, stats.connection_limit,
               static_cast<unsigned long long>(totals_.fake_hosts), std::max(0.0, after));
}

}  // namespace synscan::scanner::engine
