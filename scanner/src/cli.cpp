#include "scanner/cli.hpp"

#include <linux/if_packet.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <sstream>

#include "engine.hpp"
#include "fd.hpp"
#include "scanner/errors.hpp"
#include "scanner/options.hpp"
#include "scanner/resume.hpp"
#include "nmap_aliases.hpp"
#include "scanner/exit_codes.hpp"
#include "tools.hpp"

namespace synscan::scanner {
namespace {

namespace po = boost::program_options;

constexpr const char* kUsage = "Usage: synscan [options] {targets...}";
constexpr const char* kTargetForms =
    "198.18.0.1, 198.18.0.0/16, 198.18.0.1-198.18.3.255, 198.18.0-3.1-254, names";

// nmap's two-letter options (-oX, -sS, -iL, -Pn; the table's nmap_form) become long ones
// (nmap_aliases.hpp); -p-, -v/-vv/-d/--verbose are handled here.
std::vector<std::string> normalise_arguments(const std::vector<std::string>& arguments, int& verbosity,
                                             bool& debug) {
  std::vector<std::string> result;
  for (const std::string& argument : rewrite_nmap_aliases(arguments, AliasScope::kScan)) {
    const bool dashes = argument.size() >= 2 && argument[0] == '-' && argument[1] != '-';
    if (argument == "-p-") {
      result.emplace_back("--ports=1-65535");
    } else if (dashes && argument.find_first_not_of('v', 1) == std::string::npos) {
      verbosity += static_cast<int>(argument.size() - 1);  // -v, -vv, -vvv
    } else if (dashes && argument.find_first_not_of('d', 1) == std::string::npos) {
      debug = true;
      verbosity += static_cast<int>(argument.size() - 1);
    } else if (argument == "--verbose") {
      ++verbosity;
    } else {
      result.push_back(argument);
    }
  }
  return result;
}

std::string join_command_line(const std::vector<std::string>& arguments) {
  std::string line = "synscan";
  for (const std::string& argument : arguments) {
    line += ' ';
    if (argument.find_first_of(" \t\"'") == std::string::npos && !argument.empty()) {
      line += argument;
    } else {
      line += '\'' + argument + '\'';
    }
  }
  return line;
}

po::value_semantic* semantic(const OptionSpec& option) {
  switch (option.kind) {
    case OptionKind::kFlag:
      return po::bool_switch();
    case OptionKind::kValue:
      return po::value<std::string>()->value_name(std::string(option.value_name));
    case OptionKind::kList:
      return po::value<std::vector<std::string>>()->composing()->value_name(std::string(option.value_name));
  }
  return nullptr;
}

// The Program_options description of one help section, from the table.
po::options_description describe(OptionGroup group, const char* title) {
  po::options_description description(title);
  for (const OptionSpec& option : option_table()) {
    if (option.group != group) continue;
    std::string names(option.name);
    if (option.short_name != '\0') names += std::string(",") + option.short_name;
    description.add_options()(names.c_str(), semantic(option), std::string(option.help).c_str());
    if (!option.alias.empty()) {
      const std::string help = "alias of --" + std::string(option.name);
      description.add_options()(std::string(option.alias).c_str(), semantic(option), help.c_str());
    }
  }
  return description;
}

struct Sections {
  po::options_description scan = describe(OptionGroup::kScan, "Scan");
  po::options_description targets = describe(OptionGroup::kTargets, "Targets");
  po::options_description network = describe(OptionGroup::kNetwork, "Network");
  po::options_description output = describe(OptionGroup::kOutput, "Output");
  po::options_description hidden = describe(OptionGroup::kHidden, "");
};

po::variables_map parse_with_boost(const std::vector<std::string>& arguments, const Sections& sections) {
  po::options_description all;
  all.add(sections.scan).add(sections.targets).add(sections.network).add(sections.output).add(sections.hidden);
  po::positional_options_description positional;
  positional.add("target", -1);
  po::variables_map given;
  try {
    // nmap's "-p 22" and "-p22" both work (short options take adjacent values).
    po::store(po::command_line_parser(arguments).options(all).positional(positional).run(), given);
    po::notify(given);
  } catch (const po::error& error) {
    throw UsageError(error.what());
  }
  return given;
}

// The values the command line gave for `name` (long name or alias); empty when not given.
std::vector<std::string> given_values(const po::variables_map& given, const OptionSpec& option,
                                      std::string_view name) {
  const auto found = given.find(std::string(name));
  if (found == given.end() || found->second.defaulted()) return {};
  switch (option.kind) {
    case OptionKind::kFlag:
      return found->second.as<bool>() ? std::vector<std::string>{""} : std::vector<std::string>{};
    case OptionKind::kValue:
      return {found->second.as<std::string>()};
    case OptionKind::kList:
      return found->second.as<std::vector<std::string>>();
  }
  return {};
}

std::string spelled(const OptionSpec& option) {
  if (option.name == "target") return "the targets";
  std::string text = "--" + std::string(option.name);
  if (!option.nmap_form.empty()) text += " (" + std::string(option.nmap_form) + ")";
  if (option.short_name != '\0') text += std::string(" (-") + option.short_name + ")";
  return text;
}

// Runs every given option's parser, in table order. With --resume, an option that is not
// per-run is refused: the scan settings come from the file, and none is silently ignored.
void apply_given(const po::variables_map& given, OptionValues& values, bool resuming) {
  for (const OptionSpec& option : option_table()) {
    std::vector<std::string> occurrences = given_values(given, option, option.name);
    if (!option.alias.empty()) {
      for (std::string& value : given_values(given, option, option.alias)) occurrences.push_back(std::move(value));
    }
    if (occurrences.empty()) continue;
    if (resuming && option.resume != ResumePolicy::kPerRun) {
      throw UsageError("--resume takes the scan settings from its file; remove " + spelled(option));
    }
    for (const std::string& value : occurrences) option.parse(value, values);
  }
}

std::string help_text(const Sections& sections) {
  std::ostringstream text;
  text << kUsage << "\n\n"
       << "Targets: " << kTargetForms << "\n\n"
       << sections.scan << '\n' << sections.targets << '\n' << sections.network << '\n' << sections.output << '\n'
       << "With --resume FILE the scan settings come from FILE; only the Output options (and -n, -Pn) may be given.\n"
       << "Exit codes:";
  for (const ExitCodeDoc& exit_code : kExitCodeTable) {
    text << (exit_code.code == kExitSuccess ? " " : ", ") << exit_code.code << ' '
         << exit_code.summary;
  }
  text << '\n';
  return text.str();
}

// --resume FILE: the saved settings, this command line's outputs and diagnostics.
ParsedCommandLine resume_scan(OptionValues& values) {
  ParsedCommandLine parsed;
  const std::string path = values.resume;
  auto state = std::make_shared<ResumeState>(read_resume_file(path, values));
  if (state->complete) {
    parsed.informational = "synscan: " + path + ": that scan already completed; nothing to resume\n";
    return parsed;
  }
  if (values.plan.outputs.empty()) {
    throw UsageError("--resume needs new output files (-oX/-oG/-oJ/-oA): the interrupted run's files "
                     "keep its results; combine them with 'synscan merge'");
  }
  if (values.plan.resume_file.empty()) values.plan.resume_file = path;
  values.plan.resume = std::move(state);
  parsed.plan = std::move(values.plan);
  return parsed;
}

// The groups --help prints, as data: synscan-docgen writes the man page and the completion from it.
CommandLineDoc document_options(const char* usage, const char* target_forms,
                                std::initializer_list<const po::options_description*> groups) {
  CommandLineDoc documentation{usage, target_forms, {}};
  for (const po::options_description* group : groups) {
    OptionGroupDoc& group_doc = documentation.groups.emplace_back();
    // Program_options has no caption accessor: the title is the first line --help prints, "Scan:".
    std::ostringstream printed;
    printed << *group;
    const std::string first_line = printed.str().substr(0, printed.str().find('\n'));
    group_doc.title = first_line.substr(0, first_line.rfind(':'));
    for (const auto& option : group->options()) {
      // Only a "-x" display name is a short option; without one Program_options returns the long name.
      const std::string short_form =
          option->canonical_display_name(po::command_line_style::allow_dash_for_short);
      const bool has_short = short_form.size() == 2 && short_form[0] == '-';
      const bool takes_value = option->semantic()->max_tokens() > 0;
      group_doc.options.push_back({option->long_name(), has_short ? short_form.substr(1) : "", takes_value,
                                   option->description(), takes_value ? option->semantic()->name() : ""});
    }
  }
  return documentation;
}

}  // namespace

ParsedCommandLine parse_command_line(const std::vector<std::string>& raw_arguments, HostResolver resolver) {
  OptionValues values;
  values.plan.command_line = join_command_line(raw_arguments);
  const std::vector<std::string> arguments =
      normalise_arguments(raw_arguments, values.plan.verbosity, values.plan.debug);
  const Sections sections;
  const po::variables_map given = parse_with_boost(arguments, sections);

  ParsedCommandLine parsed;
  if (given["help"].as<bool>()) {
    parsed.informational = help_text(sections);
    parsed.documentation = document_options(kUsage, kTargetForms,
                                            {&sections.scan, &sections.targets, &sections.network, &sections.output});
    return parsed;
  }
  if (given["version"].as<bool>()) {
    parsed.informational = version_text();
    return parsed;
  }
  const bool resuming = given.count("resume") > 0;
  apply_given(given, values, resuming);
  if (resuming) return resume_scan(values);
  resolve_plan(values, resolver);
  parsed.plan = std::move(values.plan);
  return parsed;
}

namespace {

// The only process-wide state: what a signal handler may touch.
std::atomic<int> g_interrupts{0};

extern "C" void on_interrupt(int) {
  if (g_interrupts.fetch_add(1) >= 2) _exit(kExitInterrupted);  // third signal: the user really means it
}

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed pipe becomes EPIPE, reported as a clean error
}

// Raw sockets need root or CAP_NET_RAW: fail with one line before anything is opened or sent.
void require_raw_socket_privilege() {
  Fd probe(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (!probe.valid() && (errno == EPERM || errno == EACCES)) {
    throw RuntimeError("synscan needs root or CAP_NET_RAW to send raw packets; try sudo");
  }
}

}  // namespace

CommandLineDoc describe_command_line() {
  return *parse_command_line({"--help"}).documentation;
}

int run_synscan(int argc, char** argv) {
  // Not registered by name: run_synscan may run more than once in a process (the unit tests).
  auto logger = std::make_shared<spdlog::logger>(
      "synscan", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_pattern("synscan: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);
  if (argc > 1 && is_tool(argv[1])) {
    return run_tool(argv[1], std::vector<std::string>(argv + 2, argv + argc));
  }
  try {
    ParsedCommandLine parsed =
        parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
    if (!parsed.plan) {
      std::cout << parsed.informational;
      return kExitSuccess;
    }
    const ScanPlan& plan = *parsed.plan;
    spdlog::set_level(plan.debug ? spdlog::level::debug
                                 : plan.verbosity > 0 ? spdlog::level::info : spdlog::level::warn);
    if (!plan.offline) require_raw_socket_privilege();

    std::optional<output::ServiceLookup> services;
    if (!plan.services_file.empty()) {
      try {
        services = output::load_services_file(plan.services_file);
      } catch (const output::OutputError& error) {
        throw UsageError(error.what());
      }
    }
    std::vector<std::unique_ptr<output::ResultWriter>> writers;
    for (const output::OutputTarget& request : plan.outputs) {
      auto file = std::make_unique<output::OutputFile>(request.path);
      writers.push_back(services ? output::make_writer(request.format, std::move(file), *services)
                                 : output::make_writer(request.format, std::move(file)));
    }
    install_signal_handlers();
    const ScanOutcome outcome = run_scan(plan, writers, g_interrupts);
    if (outcome.interrupted) {
      spdlog::warn("interrupted: outputs hold every result found so far and are complete files");
      return kExitInterrupted;
    }
    return kExitSuccess;
  } catch (const UsageError& error) {
    std::cerr << "synscan: error: " << error.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "synscan: error: " << error.what() << "\n";
    return kExitRuntime;
  }
}

}  // namespace synscan::scanner
