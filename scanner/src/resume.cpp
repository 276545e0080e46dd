#include "scanner/resume.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "net/ipv4_address.hpp"
#include "net/mac_address.hpp"
#include "net/port_ranges.hpp"
#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

// Version 2: groups are balanced (sizes differ by at most one host), so a version-1 file's group
// numbers name other hosts; it is refused rather than resumed wrongly.
constexpr const char* kMagic = "synscan-resume 2";
constexpr const char* kMagicPrefix = "synscan-resume ";

std::uint64_t fnv1a(std::uint64_t hash, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 0x100000001b3ull;
  return hash;
}
template <typename Value>
std::uint64_t mix(std::uint64_t hash, const Value& value) {
  return fnv1a(hash, &value, sizeof value);
}

std::string join_ranges(const std::vector<AddressRange>& ranges) {
  std::string text;
  for (const AddressRange& range : ranges) {
    if (!text.empty()) text += ',';
    text +=
        net::Ipv4Address(range.first).to_string() + '-' + net::Ipv4Address(range.last).to_string();
  }
  return text;
}

const char* backend_name(SendBackend backend) {
  return backend == SendBackend::kLibnet ? "libnet" : "mmsg";
}

}  // namespace

bool ResumeState::group_done(std::uint64_t group) const noexcept {
  return group < done_below || std::binary_search(done_above.begin(), done_above.end(), group);
}

const std::vector<std::uint32_t>* ResumeState::saved_entries(std::uint64_t group) const noexcept {
  for (const auto& [saved_group, entries] : in_flight) {
    if (saved_group == group) return &entries;
  }
  return nullptr;
}

std::uint64_t plan_fingerprint(const ScanPlan& plan, std::uint32_t hosts_per_group) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const AddressRange& range : plan.targets.ranges()) hash = mix(mix(hash, range.first), range.last);
  hash = mix(hash, plan.ports.tcp.size());
  for (std::uint16_t port : plan.ports.tcp) hash = mix(hash, port);
  hash = mix(hash, plan.ports.udp.size());
  for (std::uint16_t port : plan.ports.udp) hash = mix(hash, port);
  hash = mix(mix(mix(hash, plan.seed), plan.shard.index), plan.shard.count);
  return mix(hash, hosts_per_group);
}

void write_resume_file(int fd, const std::string& path, const ScanPlan& plan, const ResumeState& state) {
  std::ostringstream out;
  out.precision(17);  // rates and times round-trip exactly
  out << kMagic << '\n';
  out << "status " << (state.complete ? "complete" : "interrupted") << '\n';
  out << "command " << plan.command_line << '\n';
  out << "targets " << join_ranges(plan.targets.ranges()) << '\n';
  out << "tcp " << net::format_port_ranges(plan.ports.tcp) << '\n';
  out << "udp " << net::format_port_ranges(plan.ports.udp) << '\n';
  out << "rate " << plan.rate << '\n';
  out << "retries " << plan.retries << '\n';
  out << "wait " << plan.wait_seconds << '\n';
  out << "rtt " << plan.initial_rtt_timeout << ' ' << plan.min_rtt_timeout << ' ' << plan.max_rtt_timeout << '\n';
  out << "seed " << plan.seed << '\n';
  out << "shard " << plan.shard.index << '/' << plan.shard.count << '\n';
  if (!plan.interface.empty()) out << "interface " << plan.interface << '\n';
  if (plan.source_ip) out << "source-ip " << net::Ipv4Address(*plan.source_ip).to_string() << '\n';
  if (plan.source_port) out << "source-port " << *plan.source_port << '\n';
  if (plan.router_mac) out << "router-mac " << plan.router_mac->to_string() << '\n';
  out << "ttl " << unsigned{plan.ttl} << '\n';
  if (!plan.udp_payloads_file.empty()) out << "udp-payloads " << plan.udp_payloads_file << '\n';
  if (plan.only_open) out << "open 1\n";
  if (!plan.user.empty()) out << "user " << plan.user << '\n';
  out << "send-backend " << backend_name(plan.send_backend) << '\n';
  out << "tx-threads " << plan.transmit_threads << '\n';
  out << "hosts-per-group " << state.hosts_per_group << '\n';
  out << "fingerprint " << std::hex << state.fingerprint << std::dec << '\n';
  out << "done-below " << state.done_below << '\n';
  out << "done";
  for (std::uint64_t group : state.done_above) out << ' ' << group;
  out << '\n';
  for (const auto& [group, entries] : state.in_flight) {
    out << "group " << group << ' ' << entries.size();
    char word[10];
    for (std::uint32_t entry : entries) {
      std::snprintf(word, sizeof word, " %x", entry);
      out << word;
    }
    out << '\n';
  }
  out << "end\n";
  const std::string text = out.str();
  if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
    throw RuntimeError("cannot write resume file " + path + ": " + std::strerror(errno));
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw RuntimeError("cannot write resume file " + path + ": " + std::strerror(errno));
    }
    written += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
}

ResumeState read_resume_file(const std::string& path, ScanPlan& plan) {
  std::ifstream file(path);
  if (!file) throw UsageError("cannot read resume file '" + path + "'");
  ResumeState state;
  std::string line;
  int line_number = 0;
  bool ended = false, have_fingerprint = false;
  const auto fail = [&](const std::string& why) -> void {
    throw UsageError(path + ":" + std::to_string(line_number) + ": " + why);
  };
  std::getline(file, line);
  ++line_number;
  if (line != kMagic) {
    if (line.rfind(kMagicPrefix, 0) == 0) {
      fail("resume file format '" + line + "' is from another synscan version (this one reads '" +
           kMagic + "')");
    }
    fail("not a synscan resume file");
  }
  while (std::getline(file, line)) {
    ++line_number;
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    std::string rest;
    std::getline(fields >> std::ws, rest);
    const auto number = [&](auto& value) {
      std::istringstream parse(rest);
      if (!(parse >> value)) fail("bad value for '" + key + "'");
    };
    try {
      if (key == "status") {
        state.complete = rest == "complete";
      } else if (key == "command") {
        plan.command_line = rest;
      } else if (key == "targets") {
        std::vector<AddressRange> ranges;
        for (const std::string& token : split_target_tokens(rest)) {
          for (const AddressRange& range : parse_target_token(token, [](const std::string&) {
                 return std::vector<std::uint32_t>{};
               })) {
            ranges.push_back(range);
          }
        }
        plan.targets = TargetSet(std::move(ranges), {});
      } else if (key == "tcp") {
        plan.ports.tcp = rest.empty() ? std::vector<std::uint16_t>{} : parse_port_spec(rest, true, false).tcp;
      } else if (key == "udp") {
        plan.ports.udp = rest.empty() ? std::vector<std::uint16_t>{} : parse_port_spec(rest, false, true).udp;
      } else if (key == "rate") {
        number(plan.rate);
      } else if (key == "retries") {
        number(plan.retries);
      } else if (key == "wait") {
        number(plan.wait_seconds);
      } else if (key == "rtt") {
        std::istringstream parse(rest);
        if (!(parse >> plan.initial_rtt_timeout >> plan.min_rtt_timeout >> plan.max_rtt_timeout)) fail("bad rtt");
      } else if (key == "seed") {
        number(plan.seed);
      } else if (key == "shard") {
        plan.shard = parse_shard(rest);
      } else if (key == "interface") {
        plan.interface = rest;
      } else if (key == "source-ip") {
        const auto address = net::Ipv4Address::parse(rest);
        if (!address) fail("bad source-ip");
        plan.source_ip = address->value();
      } else if (key == "source-port") {
        unsigned port = 0;
        number(port);
        plan.source_port = static_cast<std::uint16_t>(port);
      } else if (key == "router-mac") {
        plan.router_mac = net::MacAddress::parse(rest);
        if (!plan.router_mac) fail("bad router-mac");
      } else if (key == "ttl") {
        unsigned ttl = 0;
        number(ttl);
        plan.ttl = static_cast<std::uint8_t>(ttl);
      } else if (key == "udp-payloads") {
        plan.udp_payloads_file = rest;
      } else if (key == "open") {
        plan.only_open = rest == "1";
      } else if (key == "user") {
        plan.user = rest;
      } else if (key == "send-backend") {
        plan.send_backend = rest == "libnet" ? SendBackend::kLibnet : SendBackend::kPacketMmsg;
      } else if (key == "tx-threads") {
        number(plan.transmit_threads);
        if (plan.transmit_threads < 1 || plan.transmit_threads > 16) fail("bad tx-threads");
      } else if (key == "hosts-per-group") {
        number(state.hosts_per_group);
      } else if (key == "fingerprint") {
        std::istringstream parse(rest);
        if (!(parse >> std::hex >> state.fingerprint)) fail("bad fingerprint");
        have_fingerprint = true;
      } else if (key == "done-below") {
        number(state.done_below);
      } else if (key == "done") {
        std::istringstream parse(rest);
        std::uint64_t group;
        while (parse >> group) state.done_above.push_back(group);
        std::sort(state.done_above.begin(), state.done_above.end());
      } else if (key == "group") {
        std::istringstream parse(rest);
        std::uint64_t group = 0, count = 0;
        if (!(parse >> group >> count) || count > (std::uint64_t{1} << 28)) fail("bad group line");
        std::vector<std::uint32_t> entries(count);
        for (std::uint32_t& entry : entries) {
          if (!(parse >> std::hex >> entry)) fail("group " + std::to_string(group) + " is truncated");
        }
        state.in_flight.emplace_back(group, std::move(entries));
      } else if (key == "end") {
        ended = true;
        break;
      } else if (!key.empty()) {
        fail("unknown key '" + key + "'");
      }
    } catch (const UsageError& error) {
      const std::string what = error.what();
      if (what.rfind(path + ":", 0) == 0) throw;
      fail(what);
    }
  }
  if (!ended) throw UsageError(path + ": truncated resume file (no 'end' line)");
  if (!have_fingerprint || state.hosts_per_group == 0) throw UsageError(path + ": no fingerprint");
  if (plan.targets.empty() || plan.ports.size() == 0) throw UsageError(path + ": no targets or ports");
  if (plan_fingerprint(plan, state.hosts_per_group) != state.fingerprint) {
    throw UsageError(path + ": the saved scan plan does not match its fingerprint (edited or corrupt)");
  }
  return state;
}

}  // namespace synscan::scanner
