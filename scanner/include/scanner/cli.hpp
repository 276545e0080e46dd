#pragma once
/// The command line: nmap-familiar options parsed with Boost.Program_options into a ScanPlan.
///
/// Exit codes (documented in README): 0 success, 1 usage error (bad option, target, port or
/// file), 2 runtime error (privileges, interface, capture, output), 130 interrupted twice.
#include <optional>
#include <string>
#include <vector>

#include "scanner/scan_plan.hpp"

namespace synscan::scanner {

inline constexpr int kExitSuccess = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitRuntime = 2;

/// What the command line asks for: a scan, or an informational action already printed.
struct ParsedCommandLine {
  std::optional<ScanPlan> plan;  ///< empty after --help / --version
  std::string informational;     ///< text for --help / --version
};

/// Parses argv. Throws UsageError with a one-line message on any bad input. `resolver` resolves
/// hostnames in targets (injected by tests).
ParsedCommandLine parse_command_line(const std::vector<std::string>& arguments,
                                     HostResolver resolver = resolve_with_getaddrinfo);

/// Entry point used by main(): parse, run, map errors to exit codes, print one-line errors.
int run_synscan(int argc, char** argv);

}  // namespace synscan::scanner
