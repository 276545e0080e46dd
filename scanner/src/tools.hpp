#pragma once
// Subcommands that work on saved scans: merge (shards, resumed parts), convert (between formats),
// diff (audits: what changed between two scans), report (a self-contained HTML page). The work is
// done by the output library (output/tools.hpp); this layer parses arguments and owns stdout,
// stderr and exit codes. It needs no privileges and includes nothing of the engine.
#include <string>
#include <vector>

namespace synscan::scanner {

/// Whether `name` (argv[1]) names a subcommand rather than a scan option or target.
bool is_tool(const std::string& name);

/// Runs subcommand `name` with the arguments after it (argv[2..]). Exit codes: diff 0 equal,
/// 1 different, 2 error; merge, convert and report 0 done, 2 error (bad usage included).
/// `--help`/`-h` prints the subcommand's usage on stdout and returns 0. An error is one line
/// "synscan: error: ..." on stderr; warnings (conflicting merged results, ports an input only
/// summarised, skipped IPv6 hosts) are "synscan: warning: ..." lines. Never throws.
int run_tool(const std::string& name, const std::vector<std::string>& arguments);

}  // namespace synscan::scanner
