// The whole engine without root: run_scan over an in-memory link (memory_link.hpp) whose targets
// answer each probe from a truth table - open, closed, filtered, every ICMP class, duplicate,
// late, lost and forged replies - and every port's state, reason and record checked.
#include "scanner/engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "memory_link.hpp"
#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

using output::PortState;
using output::Reason;
using test::Answer;
using test::Behaviour;

constexpr std::uint32_t kUpBase = 0xC6120000;      // 198.18.0.0/25: every host answers something
constexpr std::uint32_t kSilentBase = 0xC6120100;  // 198.18.1.0/28: nothing answers
constexpr std::uint32_t kUpHosts = 128, kSilentHosts = 16;
const std::vector<std::uint16_t> kTcpPorts = {22, 25, 80, 443, 3306, 8080};
const std::vector<std::uint16_t> kUdpPorts = {53, 123, 161, 9999};

bool is_up_host(std::uint32_t address) { return address >= kUpBase && address < kUpBase + kUpHosts; }

// How host kUpBase + h answers each port; the silent /28 never answers.
Behaviour truth(const test::Probe& probe) {
  if (!is_up_host(probe.target)) return {};
  const unsigned h = probe.target - kUpBase;
  if (!probe.udp) {
    switch (probe.port) {
      case 22: {
        constexpr Behaviour kinds[] = {{Answer::kSynAck},       {Answer::kReset},
                                       {Answer::kSilent},       {Answer::kSynAck, 1, true},
                                       {Answer::kWrongCookie},  {Answer::kIcmpPortUnreach}};
        return kinds[h % 6];
      }
      case 25: {
        constexpr Answer kinds[] = {Answer::kIcmpHostUnreach, Answer::kIcmpAdminProhibited,
                                    Answer::kIcmpTimeExceeded, Answer::kReset};
        return {kinds[h % 4]};
      }
      case 80: return {Answer::kSynAck, h % 5 == 0 ? 3u : 1u};
      case 443: return h % 8 == 0 ? Behaviour{Answer::kSynAck, 1, false, true} : Behaviour{};
      case 3306: return h % 3 == 0 ? Behaviour{Answer::kReset, 2} : Behaviour{};
      default: return {};
    }
  }
  switch (probe.port) {
    case 53: {
      constexpr Answer kinds[] = {Answer::kUdpReply, Answer::kUdpWrongEcho, Answer::kIcmpPortUnreach,
                                  Answer::kSilent};
      return {kinds[h % 4]};
    }
    case 123: {
      constexpr Answer kinds[] = {Answer::kUdpReply, Answer::kIcmpPortUnreachRouter,
                                  Answer::kIcmpHostProhibited};
      return {kinds[h % 3]};
    }
    case 161: return h % 2 == 0 ? Behaviour{Answer::kUdpReply} : Behaviour{};
    case 9999: return {Answer::kUdpReply, 1, h % 2 == 1};
    default: return {};
  }
}

// nmap -sS / -sU semantics, written out independently of the engine's mapping.
struct Expected {
  PortState state;
  Reason reason;
};
Expected expected(const test::Probe& probe) {
  const Behaviour behaviour = truth(probe);
  const Expected silent{probe.udp ? PortState::kOpenFiltered : PortState::kFiltered, Reason::kNoResponse};
  if (behaviour.late) return silent;  // its answer came after the group's time was up
  switch (behaviour.answer) {
    case Answer::kSynAck: return {PortState::kOpen, Reason::kSynAck};
    case Answer::kReset: return {PortState::kClosed, Reason::kReset};
    case Answer::kUdpReply: return {PortState::kOpen, Reason::kUdpResponse};
    case Answer::kIcmpPortUnreach:
      return {probe.udp ? PortState::kClosed : PortState::kFiltered, Reason::kPortUnreach};
    case Answer::kIcmpPortUnreachRouter: return {PortState::kFiltered, Reason::kHostUnreach};
    case Answer::kIcmpHostUnreach: return {PortState::kFiltered, Reason::kHostUnreach};
    case Answer::kIcmpHostProhibited: return {PortState::kFiltered, Reason::kHostProhibited};
    case Answer::kIcmpAdminProhibited: return {PortState::kFiltered, Reason::kAdminProhibited};
    case Answer::kIcmpTimeExceeded: return {PortState::kFiltered, Reason::kTimeExceeded};
    case Answer::kSilent:
    case Answer::kWrongCookie:
    case Answer::kUdpWrongEcho: return silent;
  }
  return silent;
}

struct Record {
  PortState state;
  Reason reason;
  std::uint8_t ttl;
};
using PortKey = std::tuple<std::uint32_t, bool, std::uint16_t>;  // address, udp, port

// Records what the engine writes. Before a host's record is taken, that host's held (late)
// replies are released and handled: its group is sealed by then, so they must count as late.
class RecordingWriter final : public output::ResultWriter {
 public:
  explicit RecordingWriter(std::shared_ptr<test::Wire> wire) : wire_(std::move(wire)) {}
  void begin(const output::ScanInfo& info) override { info_ = info; ++begins; }
  void port_result(std::uint32_t address, const output::PortResult& result, std::time_t) override {
    const PortKey key{address, result.protocol == output::Protocol::kUdp, result.port};
    if (!port_records.emplace(key, Record{result.state, result.reason, result.reason_ttl}).second) {
      ++repeated_port_records;
    }
  }
  void host(const output::HostResult& host) override {
    if (!wire_->deliver_late(host.address, std::chrono::seconds(20))) ++late_not_handled;
    auto& ports = hosts[host.address];
    if (!ports.empty()) ++repeated_host_records;
    for (const output::PortResult& port : host.ports) {
      ports.push_back({port.protocol == output::Protocol::kUdp, port.port,
                       Record{port.state, port.reason, port.reason_ttl}});
    }
  }
  void finish(const output::ScanSummary& summary) override { summary_ = summary; ++finishes; }

  struct HostPort {
    bool udp;
    std::uint16_t port;
    Record record;
  };
  std::map<PortKey, Record> port_records;
  std::map<std::uint32_t, std::vector<HostPort>> hosts;
  int begins = 0, finishes = 0, repeated_port_records = 0, repeated_host_records = 0, late_not_handled = 0;
  output::ScanInfo info_;
  output::ScanSummary summary_;

 private:
  std::shared_ptr<test::Wire> wire_;
};

ScanPlan test_plan() {
  ScanPlan plan;
  plan.targets = TargetSet({{kUpBase, kUpBase + kUpHosts - 1}, {kSilentBase, kSilentBase + kSilentHosts - 1}}, {});
  plan.ports.tcp = kTcpPorts;
  plan.ports.udp = kUdpPorts;
  plan.rate = 20'000;
  plan.retries = 1;
  plan.wait_seconds = 1.0;  // generous: a loaded sanitizer build must still see every answer in time
  plan.initial_rtt_timeout = 0.3;
  plan.min_rtt_timeout = 0.2;
  plan.max_rtt_timeout = 1.0;
  plan.seed = 7;
  // The exact try counts below are the fixed behaviour; per-host pacing has its own test.
  plan.fixed_rate = true;
  plan.progress = false;
  plan.command_line = "synscan engine_test";
  return plan;
}

struct ScanRun {
  std::shared_ptr<test::Wire> wire;
  std::vector<std::unique_ptr<output::ResultWriter>> writers;
  RecordingWriter* writer = nullptr;
  ScanOutcome outcome;
};

ScanRun run(const ScanPlan& plan, bool raw_ip = false) {
  ScanRun result;
  result.wire = std::make_shared<test::Wire>(truth, raw_ip);
  result.writers.push_back(std::make_unique<RecordingWriter>(result.wire));
  result.writer = static_cast<RecordingWriter*>(result.writers.back().get());
  const std::atomic<int> interrupts{0};
  result.outcome = run_scan(plan, result.writers, interrupts, test::make_link(result.wire));
  return result;
}

std::vector<test::Probe> every_probe() {
  std::vector<test::Probe> probes;
  for (std::uint32_t base : {kUpBase, kSilentBase}) {
    const std::uint32_t hosts = base == kUpBase ? kUpHosts : kSilentHosts;
    for (std::uint32_t host = 0; host < hosts; ++host) {
      for (std::uint16_t port : kTcpPorts) probes.push_back({base + host, port, false});
      for (std::uint16_t port : kUdpPorts) probes.push_back({base + host, port, true});
    }
  }
  return probes;
}

// The reply counters follow from the truth exactly: every answer is handled well inside the
// group's time, except the late ones, which are handled after it by construction.
void expect_reply_counts(const ScanRun& result) {
  std::uint64_t matched = 0, duplicates = 0, late = 0, not_ours = 0;
  for (const test::Probe& probe : every_probe()) {
    const Behaviour behaviour = truth(probe);
    switch (behaviour.answer) {
      case Answer::kSilent: break;
      case Answer::kWrongCookie:
      case Answer::kUdpWrongEcho: ++not_ours; break;
      default:
        if (behaviour.late) {
          ++late;
        } else {
          ++matched;
          duplicates += behaviour.copies - 1;
        }
    }
  }
  EXPECT_EQ(result.outcome.replies_matched, matched);
  EXPECT_EQ(result.outcome.replies_duplicate, duplicates);
  EXPECT_EQ(result.outcome.replies_late, late);
  EXPECT_EQ(result.outcome.replies_not_ours, not_ours);
  EXPECT_EQ(result.wire->late_released(), late);
  EXPECT_EQ(result.writer->late_not_handled, 0);
  EXPECT_EQ(result.wire->malformed_probes(), 0u);
}

// Silent probes are sent once per try; a probe whose first try is lost, exactly twice.
void expect_tries(const ScanRun& result) {
  for (const test::Probe& probe : every_probe()) {
    const Behaviour behaviour = truth(probe);
    const unsigned tries = result.wire->tries(probe.target, probe.port, probe.udp);
    if (behaviour.answer == Answer::kSilent || behaviour.lose_first) {
      EXPECT_EQ(tries, 2u) << probe.target << " port " << probe.port << (probe.udp ? "/udp" : "/tcp");
    } else {
      EXPECT_GE(tries, 1u) << probe.target << " port " << probe.port;
    }
  }
}

// Host records: exactly the hosts that answered something, each with every port in order
// (TCP ascending, then UDP ascending) in its expected state.
void expect_host_records(const ScanRun& result) {
  EXPECT_EQ(result.outcome.hosts_up, kUpHosts);
  ASSERT_EQ(result.writer->hosts.size(), kUpHosts);
  EXPECT_EQ(result.writer->repeated_host_records, 0);
  for (const auto& [address, ports] : result.writer->hosts) {
    ASSERT_TRUE(is_up_host(address)) << address;
    ASSERT_EQ(ports.size(), kTcpPorts.size() + kUdpPorts.size());
    for (std::size_t index = 0; index < ports.size(); ++index) {
      const bool udp = index >= kTcpPorts.size();
      const std::uint16_t port = udp ? kUdpPorts[index - kTcpPorts.size()] : kTcpPorts[index];
      EXPECT_EQ(ports[index].udp, udp);
      EXPECT_EQ(ports[index].port, port);
      const Expected want = expected({address, port, udp});
      EXPECT_EQ(ports[index].record.state, want.state) << address << " port " << port << (udp ? "/udp" : "/tcp");
      EXPECT_EQ(ports[index].record.reason, want.reason) << address << " port " << port << (udp ? "/udp" : "/tcp");
      if (want.reason != Reason::kNoResponse) {
        EXPECT_EQ(ports[index].record.ttl, test::kReplyTtl);
      }
    }
  }
}

// Per-port records (streaming): every probe exactly once, in its expected state (with --open,
// only open and open|filtered ones).
void expect_port_records(const ScanRun& result, bool only_open) {
  EXPECT_EQ(result.writer->repeated_port_records, 0);
  std::size_t due = 0;
  for (const test::Probe& probe : every_probe()) {
    const Expected want = expected(probe);
    const auto found = result.writer->port_records.find({probe.target, probe.udp, probe.port});
    if (only_open && !output::shown_with_open_only(want.state)) {
      EXPECT_EQ(found, result.writer->port_records.end()) << probe.target << " port " << probe.port;
      continue;
    }
    ++due;
    ASSERT_NE(found, result.writer->port_records.end()) << probe.target << " port " << probe.port;
    EXPECT_EQ(found->second.state, want.state) << probe.target << " port " << probe.port;
    EXPECT_EQ(found->second.reason, want.reason) << probe.target << " port " << probe.port;
  }
  EXPECT_EQ(result.writer->port_records.size(), due);
}

void expect_well_formed(const ScanRun& result, const ScanPlan& plan) {
  EXPECT_EQ(result.writer->begins, 1);
  EXPECT_EQ(result.writer->finishes, 1);
  EXPECT_FALSE(result.outcome.interrupted);
  EXPECT_EQ(result.writer->summary_.hosts_total, plan.targets.size());
  EXPECT_EQ(result.writer->summary_.hosts_up, kUpHosts);
  EXPECT_EQ(result.writer->info_.tcp_ports, kTcpPorts);
  EXPECT_EQ(result.writer->info_.udp_ports, kUdpPorts);
  EXPECT_EQ(result.outcome.send_errors, 0u);
}

// Host records only (no per-port consumer): silent hosts are counted, never written.
TEST(Engine, EveryStateOverAnInMemoryLink) {
  const ScanPlan plan = test_plan();
  const ScanRun result = run(plan);
  expect_well_formed(result, plan);
  expect_host_records(result);
  EXPECT_TRUE(result.writer->port_records.empty());
  expect_reply_counts(result);
  expect_tries(result);
}

// The same over a link without Ethernet (a tun): probes leave as bare IPv4 (the wire parses them
// as DLT_RAW and counts any it cannot), replies arrive as bare IPv4; every state, reason and reply
// count as over Ethernet.
TEST(Engine, EveryStateOverARawIpLink) {
  const ScanPlan plan = test_plan();
  const ScanRun result = run(plan, /*raw_ip=*/true);
  expect_well_formed(result, plan);
  expect_host_records(result);
  expect_reply_counts(result);
  expect_tries(result);
}

// With a JSON-lines output the collector streams a record per probe, silent ones included; two
// transmit threads share the window.
TEST(Engine, StreamsEveryPortOnceWithTwoTransmitThreads) {
  ScanPlan plan = test_plan();
  plan.outputs = {{output::Format::kJsonLines, "-"}};
  plan.transmit_threads = 2;
  const ScanRun result = run(plan);
  expect_well_formed(result, plan);
  expect_host_records(result);
  expect_port_records(result, false);
  expect_reply_counts(result);
  expect_tries(result);
}

// Per-host pacing on: the truth's hosts that answer some ports with errors and leave four or more
// silent are re-probed on their own clock; none limits its answers, so each gets a few probe-back
// probes and nothing more, and every state and host record stays right.
TEST(Engine, PacingProbesBackBrieflyAndLeavesEveryStateRight) {
  ScanPlan plan = test_plan();
  plan.fixed_rate = false;
  const ScanRun result = run(plan);
  expect_well_formed(result, plan);
  expect_host_records(result);
  unsigned extra = 0;
  for (const test::Probe& probe : every_probe()) {
    const unsigned tries = result.wire->tries(probe.target, probe.port, probe.udp);
    if (truth(probe).answer == Answer::kSilent) {
      EXPECT_GE(tries, 2u);
      EXPECT_LE(tries, 5u) << probe.target << " port " << probe.port;
      extra += tries - 2;
    }
  }
  EXPECT_GT(extra, 0u);  // the probe-back happened
}

TEST(Engine, OpenOnlyStreamsOpenAndOpenFiltered) {
  ScanPlan plan = test_plan();
  plan.outputs = {{output::Format::kJsonLines, "-"}};
  plan.only_open = true;
  const ScanRun result = run(plan);
  expect_well_formed(result, plan);
  expect_port_records(result, true);
  expect_reply_counts(result);
}

TEST(Engine, NothingToScanIsAUsageErrorBeforeAnythingIsSent) {
  ScanPlan plan = test_plan();
  plan.ports = {};
  auto wire = std::make_shared<test::Wire>(truth);
  std::vector<std::unique_ptr<output::ResultWriter>> writers;
  const std::atomic<int> interrupts{0};
  EXPECT_THROW(run_scan(plan, writers, interrupts, test::make_link(wire)), UsageError);
  EXPECT_EQ(wire->probes_seen(), 0u);
}

}  // namespace
}  // namespace synscan::scanner
