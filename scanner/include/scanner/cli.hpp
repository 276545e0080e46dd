#pragma once
/// The command line: nmap-familiar options parsed with Boost.Program_options into a ScanPlan.
/// Exit codes: scanner/exit_codes.hpp (UsageError -> kExitUsage, other errors -> kExitRuntime).
#include <optional>
#include <string>
#include <vector>

#include "scanner/exit_codes.hpp"
#include "scanner/scan_plan.hpp"

namespace synscan::scanner {

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
