// The option table: unique names, help for every option, and every saved setting's round trip
// through a resume file (written with the option's formatter, read back with its parser).
#include "scanner/options.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <unistd.h>

#include "scanner/cli.hpp"
#include "scanner/errors.hpp"
#include "scanner/resume.hpp"
#include "scanner/scan_order.hpp"

namespace synscan::scanner {
namespace {

std::vector<std::uint32_t> no_dns(const std::string&) { return {}; }

// One file per test process: ctest runs these tests in parallel (-j), and a shared name let one
// test remove the file another was about to read.
const std::string& targets_file() {
  static const std::string path = "/tmp/synscan-options-test-" + std::to_string(::getpid()) + ".targets";
  return path;
}

// A non-default value for each option that decides the saved settings: a new kStored or
// kFromStored option without an entry here fails EveryScanSettingHasASample.
const std::map<std::string, std::vector<std::string>, std::less<>> kSamples = {
    {"ports", {"-p", "22,80,1000-1010"}},
    {"top-ports", {"--top-ports", "20"}},
    {"syn", {"-sS", "-sU", "-p", "T:22,U:53"}},
    {"udp", {"-sU", "-p", "53,161"}},
    {"rate", {"--rate", "12345.5"}},
    {"retries", {"--retries", "3"}},
    {"wait", {"--wait", "750ms"}},
    {"initial-rtt-timeout", {"--initial-rtt-timeout", "250ms"}},
    {"min-rtt-timeout", {"--min-rtt-timeout", "5ms"}},
    {"max-rtt-timeout", {"--max-rtt-timeout", "3s"}},
    {"seed", {"--seed", "18446744073709551615"}},
    {"shard", {"--shard", "2/3"}},
    {"ttl", {"--ttl", "17"}},
    {"udp-payloads", {"--udp-payloads", "/srv/payloads.txt"}},
    {"send-backend", {"--send-backend", "libnet"}},
    {"tx-threads", {"--tx-threads", "3"}},
    {"offline", {"--offline"}},
    {"fixed-rate", {"--fixed-rate"}},
    {"input-list", {"-iL", targets_file()}},  // written by plan_for
    {"exclude", {"--exclude", "198.18.0.0/25"}},
    {"excludefile", {"--excludefile", targets_file()}},
    {"allow-reserved", {"127.0.0.1", "--allow-reserved"}},
    {"max-targets", {"--max-targets", "300"}},
    {"interface", {"-e", "veth9"}},
    {"source-ip", {"-S", "198.18.0.9"}},
    {"source-port", {"-g", "4444"}},
    {"router-mac", {"--router-mac", "02:00:00:00:00:09"}},
    {"user", {"--user", "daemon"}},
    {"target", {"198.18.1.7", "198.18.2.0/30", "2001:2::/126", "2001:2::1:5", "-6"}},
};

// The plan of "198.18.0.0/24 --seed 1 -oX scan.xml" plus the option's sample ("" = none).
ScanPlan plan_for(const std::string& option) {
  std::vector<std::string> arguments = {"198.18.0.0/24", "--seed", "1", "-oX", "scan.xml"};
  if (option == "seed") arguments = {"198.18.0.0/24", "-oX", "scan.xml"};
  if (!option.empty()) {
    const std::vector<std::string>& sample = kSamples.at(option);
    arguments.insert(arguments.end(), sample.begin(), sample.end());
  }
  if (option == "input-list" || option == "excludefile") {
    std::ofstream(targets_file()) << "198.18.0.0/26 # a comment\n198.18.3.0/26\n";
  }
  ParsedCommandLine parsed = parse_command_line(arguments, no_dns);
  std::remove(targets_file().c_str());
  return std::move(*parsed.plan);
}

// Every saved setting of `plan` in its command-line syntax, by option name.
std::map<std::string, std::string> saved_settings(const ScanPlan& plan) {
  std::map<std::string, std::string> settings;
  for (const OptionSpec& option : option_table()) {
    if (option.resume != ResumePolicy::kStored) continue;
    settings[std::string(option.name)] = option.format(plan).value_or("<unset>");
  }
  return settings;
}

ScanPlan round_trip(const ScanPlan& plan) {
  ResumeState state;
  state.hosts_per_group = choose_hosts_per_group(plan.targets.size(), static_cast<std::uint32_t>(plan.ports.size()), plan.rate);
  state.fingerprint = plan_fingerprint(plan, state.hosts_per_group);
  OptionValues values;
  (void)parse_resume_file(format_resume_file(plan, state), "x.resume", values);
  return std::move(values.plan);
}

TEST(OptionTable, NamesAreUniqueAndEveryOptionHasHelp) {
  std::set<std::string> names;
  std::set<char> short_names;
  for (const OptionSpec& option : option_table()) {
    EXPECT_TRUE(names.insert(std::string(option.name)).second) << option.name;
    if (!option.alias.empty()) {
      EXPECT_TRUE(names.insert(std::string(option.alias)).second) << option.alias;
    }
    if (!option.nmap_form.empty()) {
      EXPECT_TRUE(names.insert(std::string(option.nmap_form)).second) << option.nmap_form;
    }
    if (option.short_name != '\0') {
      EXPECT_TRUE(short_names.insert(option.short_name).second) << option.name;
    }
    EXPECT_FALSE(option.help.empty()) << option.name;
    EXPECT_EQ(option.value_name.empty(), option.kind == OptionKind::kFlag) << option.name;
    EXPECT_EQ(option.format != nullptr, option.resume == ResumePolicy::kStored) << option.name;
    EXPECT_EQ(find_option(option.name), &option);
  }
  EXPECT_EQ(find_option("max-retries"), find_option("retries"));
  EXPECT_EQ(find_option("nonsense"), nullptr);
}

TEST(OptionTable, EveryScanSettingHasASample) {
  for (const OptionSpec& option : option_table()) {
    if (option.resume == ResumePolicy::kPerRun) continue;
    EXPECT_TRUE(kSamples.contains(option.name)) << "no round-trip sample for --" << option.name;
  }
}

// Per option: the sample changes what is saved, and reading the resume file back gives the same
// settings (the targets and ports it decided included).
TEST(OptionTable, EverySavedSettingRoundTripsThroughTheResumeFile) {
  const std::map<std::string, std::string> defaults = saved_settings(plan_for(""));
  for (const auto& [name, sample] : kSamples) {
    SCOPED_TRACE(name);
    const ScanPlan plan = plan_for(name);
    const std::map<std::string, std::string> settings = saved_settings(plan);
    // --max-targets only guards: it changes nothing that is saved.
    if (name != "max-targets") {
      EXPECT_NE(settings, defaults) << "--" << name << " changes no saved setting";
    }
    const ScanPlan back = round_trip(plan);
    EXPECT_EQ(saved_settings(back), settings);
    EXPECT_EQ(back.targets.ranges(), plan.targets.ranges());
    EXPECT_EQ(back.targets.ipv6_ranges(), plan.targets.ipv6_ranges());
    EXPECT_EQ(back.ports.tcp, plan.ports.tcp);
    EXPECT_EQ(back.ports.udp, plan.ports.udp);
    EXPECT_EQ(back.rate, plan.rate);
    EXPECT_EQ(back.wait_seconds, plan.wait_seconds);
    EXPECT_EQ(back.initial_rtt_timeout, plan.initial_rtt_timeout);
    EXPECT_EQ(back.min_rtt_timeout, plan.min_rtt_timeout);
    EXPECT_EQ(back.max_rtt_timeout, plan.max_rtt_timeout);
    EXPECT_EQ(back.seed, plan.seed);
    EXPECT_EQ(back.transmit_threads, plan.transmit_threads);
    EXPECT_EQ(back.offline, plan.offline);
    EXPECT_EQ(back.command_line, plan.command_line);
    EXPECT_TRUE(back.outputs.empty());  // outputs are the resuming run's
  }
}

TEST(OptionTable, SavedTargetsKeepWhatTheCommandLineDecided) {
  // --allow-reserved: 127.0.0.1 stays in (the saved set is not filtered again).
  EXPECT_EQ(round_trip(plan_for("allow-reserved")).targets.size(), 256u + 1u);
  // --exclude, --excludefile: the saved set is already without the excluded part.
  EXPECT_EQ(round_trip(plan_for("exclude")).targets.size(), 128u);
  EXPECT_EQ(round_trip(plan_for("excludefile")).targets.size(), 192u);
  // --top-ports 20: exactly those 20 ports.
  const ScanPlan top = plan_for("top-ports");
  EXPECT_EQ(top.ports.tcp.size(), 20u);
  EXPECT_EQ(round_trip(top).ports.tcp, top.ports.tcp);
}

TEST(OptionTable, Ipv6TargetsAreSavedAndSizeIsGuarded) {
  const ScanPlan plan = plan_for("target");
  EXPECT_EQ(plan.targets.ipv6_size(), 4u + 1);
  EXPECT_EQ(round_trip(plan).targets.size(), plan.targets.size());
  // More than 2^32 addresses needs --max-targets; a /96 is exactly 2^32.
  EXPECT_EQ(parse_command_line({"2001:2::/96", "--seed", "1"}, no_dns).plan->targets.size(), std::uint64_t{1} << 32);
  try {
    (void)parse_command_line({"2001:2::/95", "--seed", "1"}, no_dns);
    ADD_FAILURE() << "a /95 was accepted without --max-targets";
  } catch (const UsageError& error) {
    EXPECT_EQ(std::string(error.what()),
              "the targets hold 8589934592 addresses, more than 2^32: give --max-targets N to scan that many "
              "(IPv6 scans are for hit lists and small prefixes)");
  }
  EXPECT_EQ(parse_command_line({"2001:2::/95", "--seed", "1", "--max-targets", "8589934592"}, no_dns)
                .plan->targets.size(),
            std::uint64_t{1} << 33);
  EXPECT_THROW((void)parse_command_line({"2001:2::/95", "--max-targets", "8589934591"}, no_dns), UsageError);
  EXPECT_THROW((void)parse_command_line({"2001:2::/64", "--max-targets", "4611686018427387904"}, no_dns),
               UsageError);
  // Reserved IPv6 ranges are skipped unless allowed.
  EXPECT_EQ(parse_command_line({"::/126", "ff02::1", "2001:2::1", "--seed", "1"}, no_dns).plan->targets.size(), 3u);
  EXPECT_EQ(parse_command_line({"::/126", "ff02::1", "--allow-reserved", "--seed", "1"}, no_dns)
                .plan->targets.size(),
            5u);
}

TEST(OptionTable, SecondsAcceptUnits) {
  EXPECT_DOUBLE_EQ(parse_seconds("500ms", "--wait"), 0.5);
  EXPECT_DOUBLE_EQ(parse_seconds("2", "--wait"), 2);
  EXPECT_DOUBLE_EQ(parse_seconds("1.5m", "--wait"), 90);
  EXPECT_THROW((void)parse_seconds("2 s", "--wait"), UsageError);
  EXPECT_THROW((void)parse_seconds("nan", "--wait"), UsageError);
  EXPECT_THROW((void)parse_seconds("2d", "--wait"), UsageError);
}

}  // namespace
}  // namespace synscan::scanner
