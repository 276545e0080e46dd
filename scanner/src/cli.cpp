#include "scanner/cli.hpp"

#include <linux/if_packet.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <algorithm>
#include <charconv>
#include <cstring>
#include <iostream>
#include <sstream>
#include <thread>

#include "engine.hpp"
#include "fd.hpp"
#include "net/ipv4_address.hpp"
#include "net/mac_address.hpp"
#include "scanner/errors.hpp"
#include "output/top_ports.hpp"
#include "scanner/resume.hpp"
#include "nmap_aliases.hpp"
#include "scanner/exit_codes.hpp"
#include "tools.hpp"

namespace synscan::scanner {
namespace {

namespace po = boost::program_options;

// Default ports when -p is absent: the services the product brief names (README lists them).
constexpr const char* kDefaultPorts =
    "20-23,25,53,80,110,111,135,139,143,443,445,465,587,993,995,1433,1521,2375,2376,2379,2380,"
    "3306,3389,5432,5900,6379,6443,8080,8443,10250,27017";

constexpr const char* kUsage = "Usage: synscan [options] {targets...}";
constexpr const char* kTargetForms =
    "198.18.0.1, 198.18.0.0/16, 198.18.0.1-198.18.3.255, 198.18.0-3.1-254, names";

// Above this rate one paced sender is not enough on every machine of ours: on the shared 2-core
// VMs one thread's ceiling swung between 0.4 and 1.7 Mpps within days (bench/README.md), and at
// 500 kpps one thread fell 12-18 % short while two kept the rate. Up to here one thread keeps the
// rate at every hour measured and leaves a core for capture and output.
constexpr std::uint32_t kOneSenderMaxRate = 200'000;

// Never scanned unless --allow-reserved (RFC 1122 "this network", loopback, multicast, reserved
// class E, and the limited broadcast address inside it).
constexpr const char* kReservedRanges[] = {"0.0.0.0/8", "127.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4"};

// nmap's two-letter options become long ones (nmap_aliases.hpp); -p-, -v... and -d... are
// handled here because they are not options Program_options could take either.
std::vector<std::string> normalise_arguments(const std::vector<std::string>& arguments, int& verbosity,
                                             bool& debug) {
  std::vector<std::string> result;
  for (const std::string& argument : rewrite_nmap_aliases(arguments, AliasScope::kScan)) {
    if (argument == "-p-") {
      result.emplace_back("--ports=1-65535");
    } else if (argument.size() >= 2 && argument[0] == '-' && argument[1] != '-' &&
               argument.find_first_not_of('v', 1) == std::string::npos) {
      verbosity += static_cast<int>(argument.size() - 1);  // -v, -vv, -vvv
    } else if (argument.size() >= 2 && argument[0] == '-' && argument[1] != '-' &&
               argument.find_first_not_of('d', 1) == std::string::npos) {
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

template <typename Number>
Number parse_number(const std::string& text, const char* option, Number low, Number high) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    std::ostringstream message;
    message << "invalid " << option << " '" << text << "': expected a number from " << +low << " to "
            << +high;
    throw UsageError(message.str());
  }
  return value;
}

double parse_seconds(const std::string& text, const char* option) {
  // Accepts "2", "0.5", "500ms", "2s" (nmap's time syntax, minutes and hours too).
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    throw UsageError(std::string("invalid ") + option + " '" + text + "': expected seconds, e.g. 2 or 500ms");
  }
  const std::string unit = text.substr(used);
  double scale = 1;
  if (unit == "ms") scale = 1e-3;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (!unit.empty() && unit != "s")
    throw UsageError(std::string("invalid ") + option + " '" + text + "': unknown unit '" + unit + "'");
  if (!(value >= 0) || value * scale > 86400) {
    throw UsageError(std::string("invalid ") + option + " '" + text + "': out of range");
  }
  return value * scale;
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
      group_doc.options.push_back({option->long_name(), has_short ? short_form.substr(1) : "",
                                   option->semantic()->max_tokens() > 0, option->description()});
    }
  }
  return documentation;
}

std::uint64_t random_seed() {
  std::uint64_t seed = 0;
  if (::getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = static_cast<std::uint64_t>(::time(nullptr));
  return seed;
}

}  // namespace

ParsedCommandLine parse_command_line(const std::vector<std::string>& raw_arguments,
                                     HostResolver resolver) {
  ScanPlan plan;
  plan.command_line = join_command_line(raw_arguments);
  const std::vector<std::string> arguments = normalise_arguments(raw_arguments, plan.verbosity, plan.debug);

  std::vector<std::string> targets, input_lists, excludes, exclude_files;
  std::string ports, rate = "10000", retries, wait = "2", initial_rtt = "1", min_rtt = "100ms", max_rtt = "10", seed, shard, source_ip,
                     source_port, router_mac, ttl = "64";
  std::string output_xml, output_grepable, output_json, output_all;
  bool udp = false, syn = false, allow_reserved = false;
  std::string max_targets, send_backend = "mmsg", tx_threads, top_ports;

  po::options_description scan("Scan");
  scan.add_options()
      ("help,h", "print this help and exit")
      ("version,V", "print the version and exit")
      ("ports,p", po::value(&ports), "ports: 22,80,8000-8100, -p- for all, T:/U: prefixes")
      ("top-ports", po::value(&top_ports), "N: the N highest-ranked ports of synscan's own ranking (README)")
      ("syn", po::bool_switch(&syn), "-sS: TCP SYN scan (the default)")
      ("udp", po::bool_switch(&udp), "-sU: UDP scan (with -sS too: both in one run)")
      ("rate", po::value(&rate), "packets per second (default 10000; 0 or 'max' = as fast as possible)")
      ("retries", po::value(&retries), "extra tries for unanswered probes (default 1)")
      ("max-retries", po::value(&retries), "alias of --retries")
      ("wait", po::value(&wait), "seconds to wait for late replies after the last try (default 2)")
      ("initial-rtt-timeout", po::value(&initial_rtt), "retry timeout before RTT is measured (default 1s)")
      ("rtt-timeout", po::value(&initial_rtt), "alias of --initial-rtt-timeout")
      ("min-rtt-timeout", po::value(&min_rtt), "lower bound of the adaptive retry timeout (default 100ms)")
      ("max-rtt-timeout", po::value(&max_rtt), "upper bound of the adaptive retry timeout (default 10s)")
      ("seed", po::value(&seed), "permutation seed (shards of one scan must share it)")
      ("shard", po::value(&shard), "i/n: scan the i-th of n disjoint slices")
      ("ttl", po::value(&ttl), "IP TTL of probes (default 64)")
      ("udp-payloads", po::value(&plan.udp_payloads_file), "FILE: more UDP payloads (format in README)")
      ("send-backend", po::value(&send_backend), "mmsg (sendmmsg on AF_PACKET, default) or libnet (one write per frame)")
      ("tx-threads", po::value(&tx_threads), "transmit threads (default: 1; 2 on 2+ cores with --rate max or above 200000)")
      ("offline", po::bool_switch(&plan.offline), "run the whole engine but send nothing (measures its cost)");
  po::options_description targeting("Targets");
  targeting.add_options()
      ("input-list", po::value(&input_lists)->composing(), "-iL FILE: read targets from FILE ('-' = stdin)")
      ("exclude", po::value(&excludes)->composing(), "comma-separated addresses/CIDRs/ranges to skip")
      ("excludefile", po::value(&exclude_files)->composing(), "read exclusions from FILE")
      ("allow-reserved", po::bool_switch(&allow_reserved),
       "also scan 0.0.0.0/8, 127.0.0.0/8, 224.0.0.0/4, 240.0.0.0/4 (skipped by default)")
      ("max-targets", po::value(&max_targets), "refuse scans of more than N addresses")
      ("no-ping", "-Pn: accepted for nmap compatibility; synscan never pings")
      ("ping-only", "-sn: not supported")
      ("no-resolve,n", "accepted for nmap compatibility; synscan never resolves addresses to names");
  po::options_description network("Network");
  network.add_options()
      ("interface,e", po::value(&plan.interface), "-e IFACE: send and capture on IFACE")
      ("source-ip,S", po::value(&source_ip), "-S ADDR: source address of probes")
      ("source-port,g", po::value(&source_port), "-g PORT: fixed source port")
      ("router-mac", po::value(&router_mac), "next-hop MAC address (skips ARP)")
      ("user", po::value(&plan.user), "after opening raw sockets, run as USER (default nobody when root)");
  po::options_description outputs("Output");
  outputs.add_options()
      ("output-xml", po::value(&output_xml), "-oX FILE: nmap XML ('-' = stdout)")
      ("output-grepable", po::value(&output_grepable), "-oG FILE: nmap greppable")
      ("output-json", po::value(&output_json), "-oJ FILE: JSON lines, one per port result")
      ("output-all", po::value(&output_all), "-oA BASE: BASE.xml, BASE.gnmap, BASE.jsonl")
      ("open", po::bool_switch(&plan.only_open), "show only open (and open|filtered) ports")
      ("services-file", po::value(&plan.services_file), "FILE: service names from an nmap-services-format file")
      ("no-progress", "no progress line on stderr")
      ("resume", po::value<std::string>(), "FILE: continue an interrupted scan (give new -o outputs)")
      ("resume-file", po::value(&plan.resume_file), "where an interrupted scan saves its state (default: OUTPUT.resume)")
      ("verbose", "-v: more diagnostics (repeatable); -d: debugging");
  po::options_description hidden;
  hidden.add_options()("target", po::value(&targets)->composing());
  po::options_description all;
  all.add(scan).add(targeting).add(network).add(outputs).add(hidden);
  po::positional_options_description positional;
  positional.add("target", -1);

  po::variables_map values;
  try {
    // nmap's "-p 22" and "-p22" both work (short options take adjacent values).
    const auto style = po::command_line_style::default_style;
    po::store(po::command_line_parser(arguments).options(all).positional(positional).style(style).run(),
              values);
    po::notify(values);
  } catch (const po::error& error) {
    throw UsageError(error.what());
  }

  ParsedCommandLine parsed;
  if (values.count("help")) {
    std::ostringstream text;
    text << kUsage << "\n\n"
         << "Targets: " << kTargetForms << "\n\n"
         << scan << '\n' << targeting << '\n' << network << '\n' << outputs << '\n'
         << "Exit codes: 0 success, 1 usage error, 2 runtime error, 3 diff found changes, "
            "130 interrupted\n";
    parsed.informational = text.str();
    parsed.documentation = document_options(kUsage, kTargetForms, {&scan, &targeting, &network, &outputs});
    return parsed;
  }
  if (values.count("version")) {
    parsed.informational = version_text();
    return parsed;
  }
  if (values.count("ping-only")) throw UsageError("-sn (host discovery only) is not supported");
  plan.progress = values.count("no-progress") == 0;

  const auto add_outputs = [&] {
    for (output::OutputTarget& target : output::output_targets(
             {output_xml}, {output_grepable}, {output_json}, {output_all})) {
      plan.outputs.push_back(std::move(target));
    }
  };
  if (values.count("resume")) {
    // Everything that defines the scan comes from the file; only outputs and diagnostics may be
    // given, so the resumed run cannot silently scan something else.
    for (const char* option : {"target", "input-list", "exclude", "excludefile", "ports", "syn", "udp",
                               "rate", "retries", "max-retries", "seed", "shard", "interface",
                               "source-ip", "source-port", "router-mac", "ttl", "udp-payloads",
                               "send-backend", "tx-threads", "offline", "wait", "user"}) {
      if (values.count(option) && !values[option].defaulted()) {
        throw UsageError(std::string("--resume takes the scan settings from its file; remove --") +
                         (std::string(option) == "target" ? "targets" : option));
      }
    }
    const std::string path = values["resume"].as<std::string>();
    const std::string resume_file = plan.resume_file;
    ScanPlan resumed;
    auto state = std::make_shared<ResumeState>(read_resume_file(path, resumed));
    if (state->complete) {
      parsed.informational = "synscan: " + path + ": that scan already completed; nothing to resume\n";
      return parsed;
    }
    resumed.resume = std::move(state);
    resumed.resume_file = resume_file.empty() ? path : resume_file;
    resumed.verbosity = plan.verbosity;
    resumed.debug = plan.debug;
    resumed.progress = plan.progress;
    plan = std::move(resumed);
    add_outputs();
    if (plan.outputs.empty()) {
      throw UsageError("--resume needs new output files (-oX/-oG/-oJ/-oA): the interrupted run's files "
                       "keep its results; combine them with 'synscan merge'");
    }
    parsed.plan = std::move(plan);
    return parsed;
  }

  for (const std::string& file : input_lists) {
    for (std::string& token : read_target_file(file)) targets.push_back(std::move(token));
  }
  if (targets.empty()) throw UsageError("no targets given (see synscan --help)");
  std::vector<std::string> exclude_tokens;
  for (const std::string& list : excludes) {
    for (std::string& token : split_target_tokens(list)) exclude_tokens.push_back(std::move(token));
  }
  for (const std::string& file : exclude_files) {
    for (std::string& token : read_target_file(file)) exclude_tokens.push_back(std::move(token));
  }
  const bool user_excluded = !exclude_tokens.empty();
  if (!allow_reserved) {
    // Safe default: "this network", loopback, multicast, reserved and broadcast are never probed
    // by accident (a typo of /0 must not spray multicast).
    for (const char* reserved : kReservedRanges) exclude_tokens.emplace_back(reserved);
  }
  plan.targets = build_target_set(targets, exclude_tokens, resolver);
  if (plan.targets.empty()) {
    throw UsageError(allow_reserved || user_excluded
                         ? "every target is excluded: nothing to scan"
                         : "every target is excluded: nothing to scan (reserved ranges need --allow-reserved)");
  }
  if (!max_targets.empty()) {
    const auto limit = parse_number<std::uint64_t>(max_targets, "--max-targets", 1, std::uint64_t{1} << 32);
    if (plan.targets.size() > limit) {
      throw UsageError("the targets hold " + std::to_string(plan.targets.size()) +
                       " addresses, more than --max-targets " + max_targets);
    }
  }
  if (plan.targets.size() > (std::uint64_t{1} << 24) && !user_excluded) {
    spdlog::warn("WARNING: scanning {} addresses (more than a /8) with no --exclude/--excludefile; "
                 "make sure every one of them is yours to scan",
                 plan.targets.size());
  }

  const bool tcp = syn || !udp;
  if (!top_ports.empty()) {
    if (!ports.empty()) throw UsageError("give either -p or --top-ports, not both");
    const auto count = parse_number<std::size_t>(top_ports, "--top-ports", 1, 65535);
    if (tcp) plan.ports.tcp = output::top_ports(output::Protocol::kTcp, count);
    if (udp) plan.ports.udp = output::top_ports(output::Protocol::kUdp, count);
    for (auto* list : {&plan.ports.tcp, &plan.ports.udp}) std::sort(list->begin(), list->end());
  } else {
    plan.ports = parse_port_spec(ports.empty() ? std::string(kDefaultPorts) : ports, tcp, udp);
  }
  if (plan.ports.size() == 0) throw UsageError("no ports to scan");

  plan.rate = (rate == "max") ? 0.0 : parse_number<double>(rate, "--rate", 0.0, 1e9);
  if (!retries.empty()) plan.retries = parse_number<unsigned>(retries, "--retries", 0u, 10u);
  plan.wait_seconds = parse_seconds(wait, "--wait");
  plan.initial_rtt_timeout = parse_seconds(initial_rtt, "--initial-rtt-timeout");
  plan.min_rtt_timeout = parse_seconds(min_rtt, "--min-rtt-timeout");
  plan.max_rtt_timeout = parse_seconds(max_rtt, "--max-rtt-timeout");
  if (plan.min_rtt_timeout < 0.001 || plan.initial_rtt_timeout < 0.001) {
    throw UsageError("RTT timeouts must be at least 1ms");
  }
  if (plan.max_rtt_timeout < plan.min_rtt_timeout) {
    throw UsageError("--max-rtt-timeout '" + max_rtt + "' is below --min-rtt-timeout '" + min_rtt + "'");
  }
  plan.ttl = parse_number<std::uint8_t>(ttl, "--ttl", 1, 255);
  if (!shard.empty()) plan.shard = parse_shard(shard);
  if (send_backend == "mmsg" || send_backend == "sendmmsg") {
    plan.send_backend = SendBackend::kPacketMmsg;
  } else if (send_backend == "libnet") {
    plan.send_backend = SendBackend::kLibnet;
  } else {
    throw UsageError("invalid --send-backend '" + send_backend + "': expected mmsg or libnet");
  }
  if (!tx_threads.empty()) {
    plan.transmit_threads = parse_number<unsigned>(tx_threads, "--tx-threads", 1u, 16u);
  } else {
    // One sender keeps a 2-core machine's second core for capture and output; an unlimited rate,
    // or one above what a single sender reliably keeps, wants both.
    const bool fast = plan.rate == 0 || plan.rate > kOneSenderMaxRate;
    plan.transmit_threads = fast && std::thread::hardware_concurrency() >= 2 ? 2 : 1;
  }
  if (!seed.empty()) {
    plan.seed = parse_number<std::uint64_t>(seed, "--seed", 0, ~std::uint64_t{0});
  } else if (plan.shard.count > 1) {
    throw UsageError("--shard needs --seed: every shard must walk the same order");
  } else {
    plan.seed = random_seed();
  }
  if (!source_ip.empty()) {
    const auto address = net::Ipv4Address::parse(source_ip);
    if (!address) {
      throw UsageError("invalid -S address '" + source_ip + "': " + net::ipv4_problem(source_ip));
    }
    plan.source_ip = address->value();
  }
  if (!source_port.empty()) plan.source_port = parse_number<std::uint16_t>(source_port, "-g", 1, 65535);
  if (!router_mac.empty()) {
    plan.router_mac = net::MacAddress::parse(router_mac);
    if (!plan.router_mac) {
      throw UsageError("invalid --router-mac '" + router_mac + "': expected aa:bb:cc:dd:ee:ff");
    }
  }

  add_outputs();
  parsed.plan = std::move(plan);
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
