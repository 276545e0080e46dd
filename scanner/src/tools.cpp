// Argument parsing and process plumbing for the saved-scan subcommands (tools.hpp). Everything
// about scans themselves lives in the output library; this file only turns argv into calls,
// results into stdout and files, and failures into one stderr line and an exit code.
#include "tools.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "output/scan_file.hpp"
#include "output/tools.hpp"
#include "output/writers.hpp"
#include "nmap_aliases.hpp"
#include "scanner/cli.hpp"
#include "scanner/errors.hpp"
#include "scanner/exit_codes.hpp"

namespace synscan::scanner {
namespace {

namespace po = boost::program_options;

struct Tool {
  const char* name;
  const char* usage;  // "Usage: synscan NAME ...", then what it does
};

// The one registry of subcommands: is_tool, --help and dispatch all read it.
constexpr Tool kTools[] = {
    {"merge",
     "Usage: synscan merge SCAN... (-oX FILE | -oG FILE | -oJ FILE | -oA BASE)... "
     "[--services-file FILE]\n"
     "Combines scans (shards, resumed parts; JSON lines, XML or greppable) into one. A host in\n"
     "several inputs gets its ports merged; of conflicting results the answered one wins "
     "(warned).\n"},
    {"convert",
     "Usage: synscan convert SCAN (-oX FILE | -oG FILE | -oJ FILE | -oA BASE)... "
     "[--services-file FILE]\n"
     "Writes a scan in other formats ('-' = stdin / stdout). JSON lines is the lossless format.\n"},
    {"diff",
     "Usage: synscan diff OLD NEW [--json]\n"
     "New open ports, ports no longer open, other state changes, new and vanished hosts.\n"
     "Exit 0 equal, 3 different, 1 usage error, 2 other error.\n"},
    {"report",
     "Usage: synscan report SCAN -o report.html [--baseline OLD_SCAN]\n"
     "A self-contained HTML report: totals by state, open ports by service, top hosts, a picture\n"
     "of the address space, all results (filterable). --baseline adds what changed since\n"
     "OLD_SCAN (as synscan diff OLD_SCAN SCAN) with its own picture.\n"},
};

const Tool* find_tool(const std::string& name) {
  for (const Tool& tool : kTools) {
    if (name == tool.name) return &tool;
  }
  return nullptr;
}

void print_warnings(const std::vector<std::string>& warnings) {
  for (const std::string& warning : warnings) std::cerr << "synscan: warning: " << warning << '\n';
}

std::string command_line(const std::string& name, const std::vector<std::string>& arguments) {
  std::string text = "synscan " + name;
  for (const std::string& argument : arguments) text += " " + argument;
  return text;
}

void parse(const std::vector<std::string>& arguments, const po::options_description& options,
           const po::positional_options_description& positional) {
  po::variables_map values;
  try {
    po::store(
        po::command_line_parser(arguments)
            .options(options)
            .positional(positional)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .run(),
        values);
    po::notify(values);
  } catch (const po::error& error) {
    throw UsageError(error.what());
  }
}

int run_convert_or_merge(const std::string& name, const std::vector<std::string>& arguments) {
  std::vector<std::string> inputs, xml, greppable, json, all;
  std::string services_file;
  po::options_description options;
  options.add_options()("output-xml", po::value(&xml)->composing(), "-oX FILE")(
      "output-grepable", po::value(&greppable)->composing(), "-oG FILE")(
      "output-json", po::value(&json)->composing(), "-oJ FILE")(
      "output-all", po::value(&all)->composing(), "-oA BASE")(
      "services-file", po::value(&services_file), "names for ports the input does not name")(
      "input", po::value(&inputs)->composing(), "scan files");
  po::positional_options_description positional;
  positional.add("input", -1);
  parse(rewrite_nmap_aliases(arguments, AliasScope::kSubcommand), options, positional);

  const std::vector<output::OutputTarget> targets =
      output::output_targets(xml, greppable, json, all);
  if (targets.empty()) {
    throw UsageError(name + " needs at least one of -oX/-oG/-oJ FILE or -oA BASE");
  }
  if (inputs.empty()) throw UsageError(name + " needs an input scan file");
  if (name == "convert" && inputs.size() != 1) {
    throw UsageError("convert takes one input scan; use merge to combine several");
  }
  output::ConvertOptions write_options;
  write_options.scanner_version = SYNSCAN_VERSION;
  write_options.fallback_command_line = command_line(name, arguments);
  if (!services_file.empty()) {
    try {
      write_options.fallback_services = output::load_services_file(services_file);
    } catch (const output::OutputError& error) {
      throw UsageError(error.what());  // an option's file, as for a scan's --services-file
    }
  }

  std::vector<output::ScanModel> parts;
  for (const std::string& path : inputs) parts.push_back(output::read_scan_file(path));
  const output::ScanModel scan =
      name == "merge" ? output::merge_scans(std::move(parts)) : std::move(parts.front());
  print_warnings(scan.warnings);
  print_warnings(output::write_scan_files(scan, targets, write_options));
  return kExitSuccess;
}

int run_diff(const std::vector<std::string>& arguments) {
  std::vector<std::string> scans;
  bool json = false;
  po::options_description options;
  options.add_options()("json", po::bool_switch(&json), "machine-readable output")(
      "scan", po::value(&scans)->composing(), "OLD NEW");
  po::positional_options_description positional;
  positional.add("scan", -1);
  parse(arguments, options, positional);
  if (scans.size() != 2)
    throw UsageError("diff needs two scans: synscan diff OLD NEW [--json]");

  const output::ScanModel before = output::read_scan_file(scans[0]);
  const output::ScanModel after = output::read_scan_file(scans[1]);
  print_warnings(before.warnings);
  print_warnings(after.warnings);
  const output::ScanDiff diff = output::diff_scans(before, after);
  std::cout << (json ? output::diff_json(diff) : output::diff_text(diff)) << std::flush;
  if (!std::cout) throw std::runtime_error("cannot write to stdout");
  return diff.result() == output::DiffResult::kEqual ? kExitSuccess : kExitDifferent;
}

int run_report(const std::vector<std::string>& arguments) {
  std::vector<std::string> scans;
  std::string output_path, baseline_path;
  po::options_description options;
  options.add_options()("output,o", po::value(&output_path), "the HTML file ('-' = stdout)")(
      "baseline", po::value(&baseline_path), "OLD_SCAN")(
      "scan", po::value(&scans)->composing(), "SCAN");
  po::positional_options_description positional;
  positional.add("scan", -1);
  parse(arguments, options, positional);
  if (scans.size() != 1 || output_path.empty()) {
    throw UsageError(
        "report needs one scan and -o FILE: synscan report SCAN -o report.html "
        "[--baseline OLD_SCAN]");
  }
  const output::ScanModel scan = output::read_scan_file(scans.front());
  print_warnings(scan.warnings);
  std::string page;
  if (baseline_path.empty()) {
    page = output::html_report(scan, scans.front());
  } else {
    const output::ScanModel baseline = output::read_scan_file(baseline_path);
    print_warnings(baseline.warnings);
    page = output::html_report(scan, scans.front(), baseline, baseline_path);
  }
  output::OutputFile file(output_path);
  file.write(page);
  file.flush();
  return kExitSuccess;
}

}  // namespace

std::vector<ToolDoc> describe_tools() {
  std::vector<ToolDoc> tools;
  for (const Tool& tool : kTools) tools.push_back({tool.name, tool.usage});
  return tools;
}

bool is_tool(const std::string& name) {
  return find_tool(name) != nullptr;
}

int run_tool(const std::string& name, const std::vector<std::string>& arguments) {
  try {
    const Tool* tool = find_tool(name);
    if (tool == nullptr) throw UsageError("unknown subcommand '" + name + "'");
    const bool help = std::any_of(
        arguments.begin(), arguments.end(),
        [](const std::string& argument) { return argument == "--help" || argument == "-h"; });
    if (help) {
      std::cout << tool->usage;
      return kExitSuccess;
    }
    if (name == "diff") return run_diff(arguments);
    if (name == "report") return run_report(arguments);
    return run_convert_or_merge(name, arguments);
  } catch (const UsageError& error) {
    std::cerr << "synscan: error: " << error.what() << '\n';
    return kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "synscan: error: " << error.what() << '\n';
    return kExitRuntime;
  }
}

}  // namespace synscan::scanner
