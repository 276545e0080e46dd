// The option table and the plan built from it. Parsers and formatters sit side by side so a
// setting written to a resume file reads back exactly (a round-trip test per option checks it).
#include "scanner/options.hpp"

#include <spdlog/spdlog.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <thread>

#include "net/ipv4_address.hpp"
#include "net/mac_address.hpp"
#include "net/port_ranges.hpp"
#include "output/top_ports.hpp"
#include "scanner/errors.hpp"
#include "send_backend.hpp"

namespace synscan::scanner {
namespace {

// Default ports when -p is absent: the services the product brief names (README lists them).
constexpr const char* kDefaultPorts =
    "20-23,25,53,80,110,111,135,139,143,443,445,465,587,993,995,1433,1521,2375,2376,2379,2380,"
    "3306,3389,5432,5900,6379,6443,8080,8443,10250,27017";

// Above this rate one paced sender is not enough on every machine of ours: on the shared 2-core
// VMs one thread's ceiling swung between 0.4 and 1.7 Mpps within days (bench/README.md), and at
// 500 kpps one thread fell 12-18 % short while two kept the rate. Up to here one thread keeps the
// rate at every hour measured and leaves a core for capture and output.
constexpr std::uint32_t kOneSenderMaxRate = 200'000;

// Never scanned unless --allow-reserved (RFC 1122 "this network", loopback, multicast, reserved
// class E, and the limited broadcast address inside it; IPv6 unspecified and loopback, IPv4-mapped
// (never on the wire) and multicast).
constexpr const char* kReservedRanges[] = {"0.0.0.0/8",     "127.0.0.0/8",   "224.0.0.0/4",
                                           "240.0.0.0/4",   "::/127",        "::ffff:0:0/96",
                                           "ff00::/8"};

template <typename Number>
Number parse_number(const std::string& text, std::string_view option, Number low, Number high) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !(value >= low && value <= high)) {
    throw UsageError("invalid " + std::string(option) + " '" + text + "': expected a number from " +
                     std::to_string(+low) + " to " + std::to_string(+high));
  }
  return value;
}

// Shortest text that reads back as the same double.
std::string format_double(double value) {
  std::array<char, 32> text{};
  const auto result = std::to_chars(text.data(), text.data() + text.size(), value);
  return std::string(text.data(), result.ptr);
}

template <typename Number>
std::string format_number(Number value) {
  return std::to_string(+value);
}

std::optional<std::string> unless_empty(const std::string& text) {
  return text.empty() ? std::nullopt : std::optional<std::string>(text);
}

std::optional<std::string> flag(bool on) { return on ? std::optional<std::string>("") : std::nullopt; }

// The resolved set as tokens parse_target_token reads back: IPv4 ranges, then IPv6 ranges.
std::string join_ranges(const TargetSet& targets) {
  std::string text;
  for (const AddressRange& range : targets.ranges()) {
    if (!text.empty()) text += ',';
    text += net::Ipv4Address(range.first).to_string();
    if (range.last != range.first) text += '-' + net::Ipv4Address(range.last).to_string();
  }
  for (const Ipv6Range& range : targets.ipv6_ranges()) {
    if (!text.empty()) text += ',';
    text += range.first.to_string();
    if (range.last != range.first) text += '-' + range.last.to_string();
  }
  return text;
}

// -p in its saved form: every port with its protocol prefix, so -sS/-sU need not be consulted.
std::string format_ports(const PortList& ports) {
  std::string text;
  if (!ports.tcp.empty()) text = "T:" + net::format_port_ranges(ports.tcp);
  if (!ports.udp.empty()) text += (text.empty() ? "U:" : ",U:") + net::format_port_ranges(ports.udp);
  return text;
}

std::uint64_t random_seed() {
  std::uint64_t seed = 0;
  if (::getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = static_cast<std::uint64_t>(::time(nullptr));
  return seed;
}

using K = OptionKind;
using G = OptionGroup;
using R = ResumePolicy;
using Values = OptionValues;
using Plan = ScanPlan;
using Text = const std::string&;
using Shown = std::optional<std::string>;
constexpr auto kNotSaved = nullptr;

// Help order. Parsers write one occurrence; formatters (kStored only) give it back.
const OptionSpec kOptions[] = {
    // Scan
    {"help", 'h', "", "", "", "print this help and exit", G::kScan, K::kFlag, R::kPerRun,
     [](Text, Values& v) { v.help = true; }, kNotSaved},
    {"version", 'V', "", "", "", "print the version and exit", G::kScan, K::kFlag, R::kPerRun,
     [](Text, Values& v) { v.version = true; }, kNotSaved},
    {"ports", 'p', "", "", "PORTS", "ports: 22,80,8000-8100, -p- for all, T:/U: prefixes", G::kScan, K::kValue,
     R::kStored, [](Text t, Values& v) { v.ports = t; },
     [](const Plan& p) -> Shown { return unless_empty(format_ports(p.ports)); }},
    {"top-ports", '\0', "", "", "N", "the N highest-ranked ports of synscan's own ranking (README)", G::kScan,
     K::kValue, R::kFromStored, [](Text t, Values& v) { v.top_ports = t; }, kNotSaved},
    {"syn", '\0', "-sS", "", "", "-sS: TCP SYN scan (the default)", G::kScan, K::kFlag, R::kStored,
     [](Text, Values& v) { v.syn = true; }, [](const Plan& p) { return flag(!p.ports.tcp.empty()); }},
    {"udp", '\0', "-sU", "", "", "-sU: UDP scan (with -sS too: both in one run)", G::kScan, K::kFlag, R::kStored,
     [](Text, Values& v) { v.udp = true; }, [](const Plan& p) { return flag(!p.ports.udp.empty()); }},
    {"banners", '\0', "-sV", "", "", "-sV: connect to open TCP ports: banners, HTTP, TLS certificates",
     G::kScan, K::kFlag, R::kPerRun, [](Text, Values& v) { v.plan.banners = true; }, kNotSaved},
    {"banner-concurrency", '\0', "", "", "N", "--banners: connections in flight at once (default 512)",
     G::kScan, K::kValue, R::kPerRun,
     [](Text t, Values& v) { v.plan.banner_concurrency = parse_number<unsigned>(t, "--banner-concurrency", 1u, 65536u); },
     kNotSaved},
    {"banner-timeout", '\0', "", "", "SECONDS", "--banners: time limit per connection (default 6s)", G::kScan,
     K::kValue, R::kPerRun, [](Text t, Values& v) {
       v.plan.banner_timeout = parse_seconds(t, "--banner-timeout");
       if (v.plan.banner_timeout < 0.1 || v.plan.banner_timeout > 300) {
         throw UsageError("invalid --banner-timeout '" + t + "': expected 100ms to 300s");
       }
     },
     kNotSaved},
    {"rate", '\0', "", "", "PPS", "packets per second (default 10000; 0 or 'max' = as fast as possible)",
     G::kScan, K::kValue, R::kStored,
     [](Text t, Values& v) { v.plan.rate = t == "max" ? 0.0 : parse_number<double>(t, "--rate", 0.0, 1e9); },
     [](const Plan& p) -> Shown { return p.rate == 0 ? "max" : format_double(p.rate); }},
    {"retries", '\0', "", "max-retries", "N", "extra tries for unanswered probes (default 1)", G::kScan,
     K::kValue, R::kStored, [](Text t, Values& v) { v.plan.retries = parse_number<unsigned>(t, "--retries", 0u, 10u); },
     [](const Plan& p) -> Shown { return format_number(p.retries); }},
    {"wait", '\0', "", "", "SECONDS", "seconds to wait for late replies after the last try (default 2)",
     G::kScan, K::kValue, R::kStored, [](Text t, Values& v) { v.plan.wait_seconds = parse_seconds(t, "--wait"); },
     [](const Plan& p) -> Shown { return format_double(p.wait_seconds); }},
    {"initial-rtt-timeout", '\0', "", "rtt-timeout", "SECONDS", "retry timeout before RTT is measured (default 1s)",
     G::kScan, K::kValue, R::kStored,
     [](Text t, Values& v) { v.plan.initial_rtt_timeout = parse_seconds(t, "--initial-rtt-timeout"); },
     [](const Plan& p) -> Shown { return format_double(p.initial_rtt_timeout); }},
    {"min-rtt-timeout", '\0', "", "", "SECONDS", "lower bound of the adaptive retry timeout (default 100ms)",
     G::kScan, K::kValue, R::kStored,
     [](Text t, Values& v) { v.plan.min_rtt_timeout = parse_seconds(t, "--min-rtt-timeout"); },
     [](const Plan& p) -> Shown { return format_double(p.min_rtt_timeout); }},
    {"max-rtt-timeout", '\0', "", "", "SECONDS", "upper bound of the adaptive retry timeout (default 10s)",
     G::kScan, K::kValue, R::kStored,
     [](Text t, Values& v) { v.plan.max_rtt_timeout = parse_seconds(t, "--max-rtt-timeout"); },
     [](const Plan& p) -> Shown { return format_double(p.max_rtt_timeout); }},
    {"seed", '\0', "", "", "N", "permutation seed (shards of one scan must share it)", G::kScan, K::kValue,
     R::kStored,
     [](Text t, Values& v) {
       v.plan.seed = parse_number<std::uint64_t>(t, "--seed", 0, ~std::uint64_t{0});
       v.seed_given = true;
     },
     [](const Plan& p) -> Shown { return format_number(p.seed); }},
    {"shard", '\0', "", "", "I/N", "scan the i-th of n disjoint slices", G::kScan, K::kValue, R::kStored,
     [](Text t, Values& v) { v.plan.shard = parse_shard(t); },
     [](const Plan& p) -> Shown {
       if (p.shard.count <= 1) return std::nullopt;
       return format_number(p.shard.index) + '/' + format_number(p.shard.count);
     }},
    {"fixed-rate", '\0', "", "defeat-icmp-ratelimit", "",
     "send at --rate whatever the answers: no slowing down for hosts that rate-limit their answers",
     G::kScan, K::kFlag, R::kStored, [](Text, Values& v) { v.plan.fixed_rate = true; },
     [](const Plan& p) { return flag(p.fixed_rate); }},
    {"ttl", '\0', "", "", "N", "IP TTL of probes (default 64)", G::kScan, K::kValue, R::kStored,
     [](Text t, Values& v) { v.plan.ttl = parse_number<std::uint8_t>(t, "--ttl", 1, 255); },
     [](const Plan& p) -> Shown { return format_number(p.ttl); }},
    {"udp-payloads", '\0', "", "", "FILE", "more UDP payloads (format in README)", G::kScan, K::kValue,
     R::kStored, [](Text t, Values& v) { v.plan.udp_payloads_file = t; },
     [](const Plan& p) { return unless_empty(p.udp_payloads_file); }},
    {"send-backend", '\0', "", "", "auto|xdp|mmsg|libnet",
     "auto (default: xdp where AF_XDP works, else mmsg), xdp (AF_XDP TX rings), mmsg (sendmmsg on "
     "AF_PACKET) or libnet (one write per frame)", G::kScan, K::kValue, R::kStored,
     [](Text t, Values& v) {
       if (t == "mmsg" || t == "sendmmsg") {
         v.plan.send_backend = SendBackend::kPacketMmsg;
       } else if (t == "libnet") {
         v.plan.send_backend = SendBackend::kLibnet;
       } else if (t == "xdp") {
         v.plan.send_backend = SendBackend::kXdp;
       } else if (t == "auto") {
         v.plan.send_backend = SendBackend::kAuto;
       } else {
         throw UsageError("invalid --send-backend '" + t + "': expected auto, xdp, mmsg or libnet");
       }
     },
     [](const Plan& p) -> Shown { return send_backend_name(p.send_backend); }},
    {"tx-threads", '\0', "", "", "N", "transmit threads (default: 1; 2 on 2+ cores with --rate max or above 200000)",
     G::kScan, K::kValue, R::kStored,
     [](Text t, Values& v) {
       v.plan.transmit_threads = parse_number<unsigned>(t, "--tx-threads", 1u, 16u);
       v.transmit_threads_given = true;
     },
     [](const Plan& p) -> Shown { return format_number(p.transmit_threads); }},
    {"offline", '\0', "", "", "", "run the whole engine but send nothing (measures its cost)", G::kScan, K::kFlag,
     R::kStored, [](Text, Values& v) { v.plan.offline = true; }, [](const Plan& p) { return flag(p.offline); }},
    // Targets
    {"input-list", '\0', "-iL", "", "FILE", "-iL FILE: read targets from FILE ('-' = stdin)", G::kTargets,
     K::kList, R::kFromStored, [](Text t, Values& v) { v.input_lists.push_back(t); }, kNotSaved},
    {"exclude", '\0', "", "", "LIST", "comma-separated addresses/CIDRs/ranges to skip", G::kTargets, K::kList,
     R::kFromStored, [](Text t, Values& v) { v.excludes.push_back(t); }, kNotSaved},
    {"excludefile", '\0', "", "", "FILE", "read exclusions from FILE", G::kTargets, K::kList, R::kFromStored,
     [](Text t, Values& v) { v.exclude_files.push_back(t); }, kNotSaved},
    {"allow-reserved", '\0', "", "", "",
     "also scan 0.0.0.0/8, 127.0.0.0/8, 224.0.0.0/4, 240.0.0.0/4, ::/127, ::ffff:0:0/96, ff00::/8 "
     "(skipped by default)", G::kTargets, K::kFlag,
     R::kFromStored, [](Text, Values& v) { v.allow_reserved = true; }, kNotSaved},
    {"max-targets", '\0', "", "", "N", "refuse scans of more than N addresses (default 2^32)", G::kTargets,
     K::kValue, R::kFromStored,
     [](Text t, Values& v) {
       v.max_targets = parse_number<std::uint64_t>(t, "--max-targets", 1, kMaxIndexableTargets);
     },
     kNotSaved},
    {"ipv6", '6', "", "", "", "-6: accepted for nmap compatibility; IPv6 targets are recognised by their text",
     G::kTargets, K::kFlag, R::kPerRun, [](Text, Values&) {}, kNotSaved},
    {"no-ping", '\0', "-Pn", "", "", "-Pn: accepted for nmap compatibility; synscan never pings", G::kTargets,
     K::kFlag, R::kPerRun, [](Text, Values&) {}, kNotSaved},
    {"ping-only", '\0', "-sn", "", "", "-sn: not supported", G::kTargets, K::kFlag, R::kPerRun,
     [](Text, Values&) { throw UsageError("-sn (host discovery only) is not supported"); }, kNotSaved},
    {"no-resolve", 'n', "", "", "", "accepted for nmap compatibility; synscan never resolves addresses to names",
     G::kTargets, K::kFlag, R::kPerRun, [](Text, Values&) {}, kNotSaved},
    // Network
    {"interface", 'e', "", "", "IFACE", "-e IFACE: send and capture on IFACE", G::kNetwork, K::kValue, R::kStored,
     [](Text t, Values& v) { v.plan.interface = t; }, [](const Plan& p) { return unless_empty(p.interface); }},
    {"source-ip", 'S', "", "", "ADDR[-ADDR]",
     "-S ADDR: source address of probes; a range A-B (up to 64): rate-limited hosts are re-probed "
     "from all of them (synscan answers ARP for the others)",
     G::kNetwork, K::kValue, R::kStored,
     [](Text t, Values& v) {
       const std::size_t dash = t.find('-');
       const std::string first_text = t.substr(0, dash);
       const auto first = net::Ipv4Address::parse(first_text);
       if (!first) throw UsageError("invalid -S address '" + first_text + "': " + net::ipv4_problem(first_text));
       v.plan.source_ip = first->value();
       v.plan.source_count = 1;
       if (dash == std::string::npos) return;
       const std::string last_text = t.substr(dash + 1);
       const auto last = net::Ipv4Address::parse(last_text);
       if (!last) throw UsageError("invalid -S address '" + last_text + "': " + net::ipv4_problem(last_text));
       if (last->value() < first->value() || last->value() - first->value() >= 64) {
         throw UsageError("invalid -S range '" + t + "': expected FIRST-LAST, at most 64 addresses");
       }
       v.plan.source_count = last->value() - first->value() + 1;
     },
     [](const Plan& p) -> Shown {
       if (!p.source_ip) return std::nullopt;
       std::string text = net::Ipv4Address(*p.source_ip).to_string();
       if (p.source_count > 1) text += '-' + net::Ipv4Address(*p.source_ip + p.source_count - 1).to_string();
       return text;
     }},
    {"source-port", 'g', "", "", "PORT", "-g PORT: fixed source port", G::kNetwork, K::kValue, R::kStored,
     [](Text t, Values& v) { v.plan.source_port = parse_number<std::uint16_t>(t, "-g", 1, 65535); },
     [](const Plan& p) -> Shown {
       if (!p.source_port) return std::nullopt;
       return format_number(*p.source_port);
     }},
    {"router-mac", '\0', "", "", "MAC", "next-hop MAC address (skips ARP)", G::kNetwork, K::kValue, R::kStored,
     [](Text t, Values& v) {
       v.plan.router_mac = net::MacAddress::parse(t);
       if (!v.plan.router_mac) throw UsageError("invalid --router-mac '" + t + "': expected aa:bb:cc:dd:ee:ff");
     },
     [](const Plan& p) -> Shown {
       if (!p.router_mac) return std::nullopt;
       return p.router_mac->to_string();
     }},
    {"user", '\0', "", "", "USER", "after opening raw sockets, run as USER (default nobody when root)",
     G::kNetwork, K::kValue, R::kStored, [](Text t, Values& v) { v.plan.user = t; },
     [](const Plan& p) { return unless_empty(p.user); }},
    // Output
    {"output-xml", '\0', "-oX", "", "FILE", "-oX FILE: nmap XML ('-' = stdout)", G::kOutput, K::kValue,
     R::kPerRun, [](Text t, Values& v) { v.output_xml = t; }, kNotSaved},
    {"output-grepable", '\0', "-oG", "", "FILE", "-oG FILE: nmap greppable", G::kOutput, K::kValue, R::kPerRun,
     [](Text t, Values& v) { v.output_grepable = t; }, kNotSaved},
    {"output-json", '\0', "-oJ", "", "FILE", "-oJ FILE: JSON lines, one per port result", G::kOutput, K::kValue,
     R::kPerRun, [](Text t, Values& v) { v.output_json = t; }, kNotSaved},
    {"output-all", '\0', "-oA", "", "BASE", "-oA BASE: BASE.xml, BASE.gnmap, BASE.jsonl", G::kOutput, K::kValue,
     R::kPerRun, [](Text t, Values& v) { v.output_all = t; }, kNotSaved},
    {"open", '\0', "", "", "", "show only open (and open|filtered) ports", G::kOutput, K::kFlag, R::kPerRun,
     [](Text, Values& v) { v.plan.only_open = true; }, kNotSaved},
    {"services-file", '\0', "", "", "FILE", "service names from an nmap-services-format file", G::kOutput,
     K::kValue, R::kPerRun, [](Text t, Values& v) { v.plan.services_file = t; }, kNotSaved},
    {"no-progress", '\0', "", "", "", "no progress line on stderr", G::kOutput, K::kFlag, R::kPerRun,
     [](Text, Values& v) { v.plan.progress = false; }, kNotSaved},
    {"resume", '\0', "", "", "FILE", "continue an interrupted scan (give new -o outputs)", G::kOutput, K::kValue,
     R::kPerRun, [](Text t, Values& v) { v.resume = t; }, kNotSaved},
    {"resume-file", '\0', "", "", "PATH",
     "where an interrupted scan saves its state (default: OUTPUT.resume beside a regular output file)",
     G::kOutput, K::kValue, R::kPerRun, [](Text t, Values& v) { v.plan.resume_file = t; }, kNotSaved},
    {"verbose", 'v', "", "", "", "-v: more diagnostics (repeatable); -d: debugging", G::kOutput, K::kFlag,
     R::kPerRun, [](Text, Values& v) { ++v.plan.verbosity; }, kNotSaved},
    // The positional targets; saved as the resolved set (exclusions and reserved ranges applied).
    {"target", '\0', "", "", "TARGET", "targets", G::kHidden, K::kList, R::kStored,
     [](Text t, Values& v) {
       for (std::string& token : split_target_tokens(t)) v.targets.push_back(std::move(token));
     },
     [](const Plan& p) { return unless_empty(join_ranges(p.targets)); }},
};

void build_targets(Values& values, HostResolver resolver) {
  Plan& plan = values.plan;
  if (values.targets_resolved) {
    // A saved set: ranges only, nothing left to exclude or resolve.
    plan.targets = build_target_set(values.targets, {}, [](const std::string&) { return std::vector<std::uint32_t>{}; });
    if (plan.targets.empty()) throw UsageError("no targets saved");
    return;
  }
  for (const std::string& file : values.input_lists) {
    for (std::string& token : read_target_file(file)) values.targets.push_back(std::move(token));
  }
  if (values.targets.empty()) throw UsageError("no targets given (see synscan --help)");
  std::vector<std::string> exclude_tokens;
  for (const std::string& list : values.excludes) {
    for (std::string& token : split_target_tokens(list)) exclude_tokens.push_back(std::move(token));
  }
  for (const std::string& file : values.exclude_files) {
    for (std::string& token : read_target_file(file)) exclude_tokens.push_back(std::move(token));
  }
  const bool user_excluded = !exclude_tokens.empty();
  if (!values.allow_reserved) {
    // Safe default: "this network", loopback, multicast, reserved and broadcast are never probed
    // by accident (a typo of /0 must not spray multicast).
    for (const char* reserved : kReservedRanges) exclude_tokens.emplace_back(reserved);
  }
  plan.targets = build_target_set(values.targets, exclude_tokens, resolver);
  if (plan.targets.empty()) {
    throw UsageError(values.allow_reserved || user_excluded
                         ? "every target is excluded: nothing to scan"
                         : "every target is excluded: nothing to scan (reserved ranges need --allow-reserved)");
  }
  if (values.max_targets && plan.targets.size() > *values.max_targets) {
    throw UsageError("the targets hold " + std::to_string(plan.targets.size()) +
                     " addresses, more than --max-targets " + std::to_string(*values.max_targets));
  }
  if (!values.max_targets && plan.targets.size() > kDefaultMaxTargets) {
    throw UsageError("the targets hold " + std::to_string(plan.targets.size()) +
                     " addresses, more than 2^32: give --max-targets N to scan that many (IPv6 scans "
                     "are for hit lists and small prefixes)");
  }
  if (plan.targets.size() > (std::uint64_t{1} << 24) && !user_excluded) {
    spdlog::warn("WARNING: scanning {} addresses (more than a /8) with no --exclude/--excludefile; "
                 "make sure every one of them is yours to scan",
                 plan.targets.size());
  }
}

void build_ports(Values& values) {
  Plan& plan = values.plan;
  const bool tcp = values.syn || !values.udp;
  if (!values.top_ports.empty()) {
    if (!values.ports.empty()) throw UsageError("give either -p or --top-ports, not both");
    const auto count = parse_number<std::size_t>(values.top_ports, "--top-ports", 1, 65535);
    if (tcp) plan.ports.tcp = output::top_ports(output::Protocol::kTcp, count);
    if (values.udp) plan.ports.udp = output::top_ports(output::Protocol::kUdp, count);
    for (auto* list : {&plan.ports.tcp, &plan.ports.udp}) std::sort(list->begin(), list->end());
  } else {
    plan.ports = parse_port_spec(values.ports.empty() ? std::string(kDefaultPorts) : values.ports, tcp, values.udp);
  }
  if (plan.ports.size() == 0) throw UsageError("no ports to scan");
}

void check_settings(Values& values) {
  Plan& plan = values.plan;
  if (plan.min_rtt_timeout < 0.001 || plan.initial_rtt_timeout < 0.001) {
    throw UsageError("RTT timeouts must be at least 1ms");
  }
  if (plan.max_rtt_timeout < plan.min_rtt_timeout) {
    throw UsageError("--max-rtt-timeout '" + format_double(plan.max_rtt_timeout) + "s' is below --min-rtt-timeout '" +
                     format_double(plan.min_rtt_timeout) + "s'");
  }
  if (!values.transmit_threads_given) {
    // One sender keeps a 2-core machine's second core for capture and output; an unlimited rate,
    // or one above what a single sender reliably keeps, wants both.
    const bool fast = plan.rate == 0 || plan.rate > kOneSenderMaxRate;
    plan.transmit_threads = fast && std::thread::hardware_concurrency() >= 2 ? 2 : 1;
  }
  if (!values.seed_given) {
    if (plan.shard.count > 1) throw UsageError("--shard needs --seed: every shard must walk the same order");
    plan.seed = random_seed();
  }
}

void add_outputs(Values& values) {
  for (output::OutputTarget& target : output::output_targets(
           {values.output_xml}, {values.output_grepable}, {values.output_json}, {values.output_all})) {
    values.plan.outputs.push_back(std::move(target));
  }
}

}  // namespace

std::span<const OptionSpec> option_table() { return kOptions; }

const OptionSpec* find_option(std::string_view name) {
  for (const OptionSpec& option : kOptions) {
    if (option.name == name || (!option.alias.empty() && option.alias == name)) return &option;
  }
  return nullptr;
}

double parse_seconds(const std::string& text, std::string_view option) {
  // Accepts "2", "0.5", "500ms", "2s" (nmap's time syntax, minutes and hours too).
  const std::string name(option);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || text.empty()) {
    throw UsageError("invalid " + name + " '" + text + "': expected seconds, e.g. 2 or 500ms");
  }
  const std::string unit(end, text.data() + text.size());
  double scale = 1;
  if (unit == "ms") scale = 1e-3;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (!unit.empty() && unit != "s") throw UsageError("invalid " + name + " '" + text + "': unknown unit '" + unit + "'");
  if (!(value >= 0) || value * scale > 86400) {
    throw UsageError("invalid " + name + " '" + text + "': out of range");
  }
  return value * scale;
}

void resolve_plan(OptionValues& values, HostResolver resolver) {
  build_targets(values, resolver);
  build_ports(values);
  check_settings(values);
  add_outputs(values);
}

}  // namespace synscan::scanner
