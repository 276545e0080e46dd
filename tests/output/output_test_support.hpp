#pragma once
// Shared fixtures for the output tests: a small deterministic scan, temp files, and running the
// external consumers (xmllint, ndiff, python3 + libnmap) that the formats must satisfy.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "output/writers.hpp"

namespace synscan::output::test_support {

/// Dates in the golden files are UTC; writers use local time like nmap, so pin the zone.
inline void use_utc() {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
}

inline constexpr std::uint32_t ipv4(std::uint32_t a, std::uint32_t b, std::uint32_t c,
                                    std::uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

inline constexpr std::time_t kStart = 1764051234;  // Tue Nov 25 06:13:54 2025 UTC
inline constexpr std::time_t kEnd = 1764051236;

inline PortResult tcp(std::uint16_t port, PortState state, Reason reason, std::uint8_t ttl) {
  return PortResult{port, Protocol::kTcp, state, reason, ttl};
}
inline PortResult udp(std::uint16_t port, PortState state, Reason reason, std::uint8_t ttl) {
  return PortResult{port, Protocol::kUdp, state, reason, ttl};
}

/// Test service names: one with a '/' and XML/JSON specials, to prove escaping; the rest from
/// the real table.
inline std::string_view test_services(Protocol protocol, std::uint16_t port) {
  if (protocol == Protocol::kTcp && port == 9999) return "odd/svc<&\"'>";
  return service_name_view(protocol, port);
}

/// Three hosts: mixed states on both protocols; one with 40 closed ports (collapsed); one with
/// only closed/filtered ports (dropped under --open).
struct SampleScan {
  std::vector<PortResult> mixed_ports;
  std::vector<PortResult> collapsed_ports;
  std::vector<PortResult> closed_only_ports;
  ScanInfo info;

  explicit SampleScan(bool only_open = false) {
    mixed_ports = {
        tcp(22, PortState::kOpen, Reason::kSynAck, 64),
        tcp(80, PortState::kClosed, Reason::kReset, 64),
        tcp(443, PortState::kFiltered, Reason::kNoResponse, 0),
        tcp(8080, PortState::kFiltered, Reason::kAdminProhibited, 63),
        tcp(9999, PortState::kOpen, Reason::kSynAck, 64),
        udp(53, PortState::kOpen, Reason::kUdpResponse, 64),
        udp(161, PortState::kOpenFiltered, Reason::kNoResponse, 0),
    };
    collapsed_ports.push_back(tcp(22, PortState::kOpen, Reason::kSynAck, 61));
    for (std::uint16_t port = 1000; port < 1040; ++port) {
      collapsed_ports.push_back(tcp(port, PortState::kClosed, Reason::kReset, 61));
    }
    closed_only_ports = {
        tcp(22, PortState::kClosed, Reason::kReset, 128),
        tcp(80, PortState::kFiltered, Reason::kNoResponse, 0),
    };
    info.scanner_version = "0.1.0";
    info.command_line = "synscan -p 22,80,443 --open -oX - 198.18.0.0/24";
    info.start_time = kStart;
    info.tcp_ports = {22, 80, 443, 1000, 1001, 1002, 8080, 9999};
    info.udp_ports = {53, 161};
    info.only_open = only_open;
  }

  [[nodiscard]] std::vector<HostResult> hosts() const {
    return {
        HostResult{ipv4(198, 18, 0, 5), mixed_ports, kStart, kStart + 1},
        HostResult{ipv4(198, 18, 0, 9), collapsed_ports, kStart, kStart + 2},
        HostResult{ipv4(198, 18, 0, 12), closed_only_ports, kStart + 1, kStart + 2},
    };
  }

  [[nodiscard]] ScanSummary summary(bool interrupted = false) const {
    ScanSummary summary;
    summary.end_time = kEnd;
    summary.elapsed_seconds = 2.345;
    summary.hosts_total = 256;
    summary.hosts_up = 3;
    summary.interrupted = interrupted;
    return summary;
  }
};

/// A directory of scratch files for this test process, removed when the process exits.
class ScratchDirectory {
 public:
  ScratchDirectory()
      : path_(::testing::TempDir() + "synscan_output_tests_" + std::to_string(::getpid())) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// A fresh path in the scratch directory (the file itself is not created).
inline std::string temp_path(const std::string& name) {
  static ScratchDirectory directory;
  static int counter = 0;
  return directory.path() + "/" + std::to_string(++counter) + "_" + name;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// Writes a whole scan in `format` with the test service names; returns the file's text.
inline std::string write_scan(Format format, const std::string& path, const ScanInfo& info,
                              const std::vector<HostResult>& hosts, const ScanSummary& summary) {
  auto writer = make_writer(format, std::make_unique<OutputFile>(path), &test_services);
  writer->begin(info);
  for (const HostResult& host : hosts) {
    for (const PortResult& port : host.ports) writer->port_result(host.address, port, kStart);
    writer->host(host);
  }
  writer->finish(summary);
  writer.reset();  // closes the file
  return read_file(path);
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

/// Runs a shell command, capturing its output.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  const std::string output_path = temp_path("command_output.txt");
  const int status = std::system((command + " >" + output_path + " 2>&1").c_str());
  result.output = read_file(output_path);
  std::remove(output_path.c_str());
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

inline bool have_program(const std::string& name) {
  return run_command("command -v " + name).exit_code == 0;
}

/// True when SYNSCAN_REQUIRE_LAB is set (scripts/test sets it): every external consumer check
/// must then run, as every lab test must (scripts/setup installs all the tools).
inline bool tools_required() {
  const char* value = std::getenv("SYNSCAN_REQUIRE_LAB");
  return value != nullptr && *value != '\0' && std::string_view(value) != "0";
}

}  // namespace synscan::output::test_support

/// Ends the calling test when a tool it checks against is missing: a skip for a developer
/// without the tool, a failure under SYNSCAN_REQUIRE_LAB (a green suite then means the check ran).
#define SYNSCAN_SKIP_WITHOUT_TOOL(what)                                                   \
  do {                                                                                    \
    if (::synscan::output::test_support::tools_required()) {                              \
      GTEST_FAIL() << "missing " << what                                                  \
                   << " (SYNSCAN_REQUIRE_LAB is set; scripts/setup installs it)";         \
    }                                                                                     \
    GTEST_SKIP() << "missing " << what;                                                   \
  } while (false)

namespace synscan::output::test_support {

/// A python3 that can import `module`, or "" (Debian's libnmap lives in /usr/bin/python3's
/// dist-packages, which a pyenv python3 first on PATH does not see).
inline std::string python_with(const std::string& module) {
  for (const char* candidate : {"/usr/bin/python3", "python3"}) {
    if (run_command(std::string(candidate) + " -c 'import " + module + "'").exit_code == 0) {
      return candidate;
    }
  }
  return {};
}

}  // namespace synscan::output::test_support
