#pragma once
/// The one table of synscan's scan options. Each option is declared once — names, value
/// placeholder, help text, group, parser, formatter and what `--resume` does with it — and
/// everything else is derived from the table: `--help` and the command-line parser (cli.cpp),
/// the settings of the resume file (resume.cpp, written with the formatters and read back with
/// the parsers), the list of options `--resume` refuses, and the man page and completion
/// (scripts, from option_table()).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scanner/scan_plan.hpp"

namespace synscan::scanner {

/// Help sections, in the order `--help` prints them.
enum class OptionGroup : std::uint8_t { kScan, kTargets, kNetwork, kOutput, kHidden };

/// What happens to an option given together with `--resume FILE`.
enum class ResumePolicy : std::uint8_t {
  kStored,      ///< a scan setting: saved in the resume file (formatter, parser); refused with --resume
  kFromStored,  ///< decides saved settings (targets, ports) without being saved itself; refused
  kPerRun,      ///< outputs, --open, verbosity, progress: honoured with --resume, never saved
};

enum class OptionKind : std::uint8_t {
  kFlag,   ///< no value
  kValue,  ///< one value; given twice is a usage error
  kList,   ///< repeatable; every occurrence is parsed
};

/// What the command line (or a resume file) said, before the plan is built from it: values that
/// combine with others (ports with -sU, targets with exclusions) wait here for build_plan.
struct OptionValues {
  ScanPlan plan;  ///< options that map one-to-one onto a setting write it directly
  std::vector<std::string> targets, input_lists, excludes, exclude_files;
  std::string ports, top_ports, output_xml, output_grepable, output_json, output_all, resume;
  std::optional<std::uint64_t> max_targets;
  bool syn = false, udp = false, allow_reserved = false, help = false, version = false;
  bool seed_given = false, transmit_threads_given = false;
  /// The targets are a saved, already resolved and excluded set (a resume file).
  bool targets_resolved = false;
};

struct OptionSpec {
  std::string_view name;        ///< long name, without "--"
  char short_name;              ///< '\0' when none
  std::string_view nmap_form;   ///< one dash + two letters ("-oX"), rewritten before parsing; "" when none
  std::string_view alias;       ///< another long name with the same meaning; "" when none
  std::string_view value_name;  ///< placeholder in the help ("FILE"); "" for flags
  std::string_view help;
  OptionGroup group;
  OptionKind kind;
  ResumePolicy resume;
  /// Applies one occurrence (flags get ""). Throws UsageError naming the option and the value.
  void (*parse)(const std::string& value, OptionValues& values);
  /// kStored only: the plan's setting in command-line syntax that `parse` reads back exactly;
  /// nullopt when it is not set (a flag that is off, an optional setting left out). "" = a flag
  /// that is on.
  std::optional<std::string> (*format)(const ScanPlan& plan);
};

/// Every option, in help order. Names, short names, nmap forms and aliases are unique.
std::span<const OptionSpec> option_table();

/// The option named `name` (long name or alias, no dashes), or null.
const OptionSpec* find_option(std::string_view name);

/// Completes values.plan from what was parsed: targets (resolved with `resolver`, reserved ranges
/// and exclusions removed, unless targets_resolved), ports (-p / --top-ports / defaults with
/// -sS/-sU), the settings' cross checks and defaults (seed, transmit threads) and the outputs.
/// Throws UsageError.
void resolve_plan(OptionValues& values, HostResolver resolver);

/// "1/3" shard, "0.5" seconds, "max" rate...: helpers the table's parsers share (exposed for tests).
double parse_seconds(const std::string& text, std::string_view option);

}  // namespace synscan::scanner
