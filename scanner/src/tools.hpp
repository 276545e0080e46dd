#pragma once
// Subcommands that work on saved scans: merge (shards, resumed parts), convert (between formats),
// diff (audits: what changed between two scans), report (a self-contained HTML page).
#include <string>
#include <vector>

namespace synscan::scanner {

/// Whether `name` (argv[1]) is a subcommand rather than a scan option or target.
bool is_tool(const std::string& name);

/// Runs subcommand `name` with the arguments after it. Exit codes: merge/convert/report 0 ok,
/// 1 usage, 2 error; diff 0 equal, 1 different, 2 error.
int run_tool(const std::string& name, const std::vector<std::string>& arguments);

}  // namespace synscan::scanner
