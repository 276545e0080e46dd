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

/// Runs subcommand `name` with the arguments after it (argv[2..]). Exit codes
/// (scanner/exit_codes.hpp): 0 done (diff: equal), 3 diff found changes, 1 usage error (unknown
/// option, missing argument, unreadable --services-file), 2 any other error (an input scan that
/// cannot be read, an output that cannot be written).
/// `--help`/`-h` prints the subcommand's usage on stdout and returns 0. An error is one line
/// "synscan: error: ..." on stderr; warnings (conflicting merged results, ports an input only
/// summarised, skipped IPv6 hosts) are "synscan: warning: ..." lines. Never throws.
int run_tool(const std::string& name, const std::vector<std::string>& arguments);

}  // namespace synscan::scanner
