#pragma once
/// The command line: nmap-familiar options parsed with Boost.Program_options into a ScanPlan.
/// Exit codes: scanner/exit_codes.hpp (UsageError -> kExitUsage, other errors -> kExitRuntime).
#include <optional>
#include <string>
#include <vector>

#include "scanner/exit_codes.hpp"
#include "scanner/scan_plan.hpp"

namespace synscan::scanner {

/// One scan option exactly as `--help` prints it. The man page and the bash completion are
/// generated from these (synscan-docgen), so they cannot drift from `--help`.
struct OptionDoc {
  std::string long_name;   ///< "ports"
  std::string short_name;  ///< "p", or empty
  bool takes_value = false;
  std::string help;        ///< --help's text; a leading "-oX FILE: " names the nmap alias
  std::string value_name;  ///< the placeholder --help prints ("FILE"); empty for switches
};
struct OptionGroupDoc {
  std::string title;  ///< "Scan", "Targets", ...
  std::vector<OptionDoc> options;
};
struct CommandLineDoc {
  std::string usage;    ///< "Usage: synscan [options] {targets...}"
  std::string targets;  ///< the target forms line of --help
  std::vector<OptionGroupDoc> groups;
};
/// A subcommand (diff, merge, convert, report) and the usage its `--help` prints.
struct ToolDoc {
  std::string name;
  std::string usage;
};

/// What the command line asks for: a scan, or an informational action already printed.
struct ParsedCommandLine {
  std::optional<ScanPlan> plan;  ///< empty after --help / --version
  std::string informational;     ///< text for --help / --version
  std::optional<CommandLineDoc> documentation;  ///< the options behind --help's text (--help only)
};

/// Parses argv. Throws UsageError with a one-line message on any bad input. `resolver` resolves
/// hostnames in targets (injected by tests).
ParsedCommandLine parse_command_line(const std::vector<std::string>& arguments,
                                     HostResolver resolver = resolve_with_getaddrinfo);

/// The scan options --help prints, group by group (from parse_command_line({"--help"})).
CommandLineDoc describe_command_line();

/// The subcommands in the order their registry lists them.
std::vector<ToolDoc> describe_tools();

/// What --version prints: synscan's version and git revision, libpcap's and libnet's versions.
std::string version_text();

/// Entry point used by main(): parse, run, map errors to exit codes, print one-line errors.
int run_synscan(int argc, char** argv);

}  // namespace synscan::scanner
