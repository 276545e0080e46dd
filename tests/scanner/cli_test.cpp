// Command-line parsing: nmap-familiar spellings map onto the ScanPlan; bad input is a UsageError.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "scanner/cli.hpp"
#include "scanner/errors.hpp"
#include "scanner/options.hpp"
#include "scanner/resume.hpp"

namespace synscan::scanner {
namespace {

std::vector<std::uint32_t> no_dns(const std::string&) { return {}; }

ScanPlan parse(std::vector<std::string> arguments) {
  ParsedCommandLine parsed = parse_command_line(arguments, no_dns);
  EXPECT_TRUE(parsed.plan.has_value());
  return parsed.plan ? *parsed.plan : ScanPlan{};
}

TEST(CommandLine, NmapStyleOptions) {
  const ScanPlan plan = parse({"-p", "22,80", "--rate", "50000", "198.18.0.0/16", "-oX", "scan.xml",
                               "-oGscan.gnmap", "-oJ", "-", "--retries", "2", "--wait", "500ms",
                               "--seed", "7", "-vv", "-n", "-Pn", "--open"});
  EXPECT_EQ(plan.targets.size(), 65536u);
  EXPECT_EQ(plan.ports.tcp, (std::vector<std::uint16_t>{22, 80}));
  EXPECT_TRUE(plan.ports.udp.empty());
  EXPECT_DOUBLE_EQ(plan.rate, 50000);
  EXPECT_EQ(plan.retries, 2u);
  EXPECT_DOUBLE_EQ(plan.wait_seconds, 0.5);
  EXPECT_EQ(plan.seed, 7u);
  EXPECT_EQ(plan.verbosity, 2);
  EXPECT_TRUE(plan.only_open);
  ASSERT_EQ(plan.outputs.size(), 3u);
  EXPECT_EQ(plan.outputs[0].format, output::Format::kXml);
  EXPECT_EQ(plan.outputs[0].path, "scan.xml");
  EXPECT_EQ(plan.outputs[1].format, output::Format::kGreppable);
  EXPECT_EQ(plan.outputs[1].path, "scan.gnmap");
  EXPECT_EQ(plan.outputs[2].path, "-");
}

TEST(CommandLine, AllPortsMixedProtocolsAndOutputAll) {
  ScanPlan plan = parse({"-p-", "198.18.0.1"});
  EXPECT_EQ(plan.ports.tcp.size(), 65535u);
  plan = parse({"-sS", "-sU", "-p", "T:22,U:53,161", "198.18.0.1", "-oA", "base", "--max-retries", "0"});
  EXPECT_EQ(plan.ports.tcp, (std::vector<std::uint16_t>{22}));
  EXPECT_EQ(plan.ports.udp, (std::vector<std::uint16_t>{53, 161}));
  EXPECT_EQ(plan.retries, 0u);
  ASSERT_EQ(plan.outputs.size(), 3u);
  EXPECT_EQ(plan.outputs[0].path, "base.xml");
  EXPECT_EQ(plan.outputs[1].path, "base.gnmap");
  EXPECT_EQ(plan.outputs[2].path, "base.jsonl");
}

TEST(CommandLine, NetworkOverrides) {
  const ScanPlan plan = parse({"-e", "veth0", "-S", "198.19.0.1", "-g", "53", "--router-mac",
                               "02:00:00:00:00:01", "198.18.0.1", "--rate", "max", "--shard", "2/3",
                               "--seed", "1"});
  EXPECT_EQ(plan.interface, "veth0");
  ASSERT_TRUE(plan.source_ip);
  EXPECT_EQ(*plan.source_ip, 0xC6130001u);
  EXPECT_EQ(plan.source_port, 53);
  ASSERT_TRUE(plan.router_mac);
  EXPECT_EQ((*plan.router_mac)[5], 1);
  EXPECT_DOUBLE_EQ(plan.rate, 0);
  EXPECT_EQ(plan.shard.index, 2u);
  EXPECT_EQ(plan.shard.count, 3u);
}

TEST(CommandLine, ExclusionsShrinkTheTargets) {
  const ScanPlan plan = parse({"198.18.0.0/24", "--exclude", "198.18.0.0/25,198.18.0.255"});
  EXPECT_EQ(plan.targets.size(), 127u);
}

TEST(CommandLine, ReservedRangesAreSkippedUnlessAllowed) {
  // 0/8, 127/8, 224/4 and 240/4 (with 255.255.255.255) leave a /0 by default.
  ScanPlan plan = parse({"0.0.0.0/0", "-p", "80"});
  const std::uint64_t reserved = (1ull << 24) * 2 + (1ull << 28) * 2;
  EXPECT_EQ(plan.targets.size(), (1ull << 32) - reserved);
  EXPECT_FALSE(plan.targets.index_of(0x7F000001u));  // 127.0.0.1
  EXPECT_FALSE(plan.targets.index_of(0xFFFFFFFFu));  // broadcast
  EXPECT_FALSE(plan.targets.index_of(0xE0000001u));  // multicast
  plan = parse({"127.0.0.1", "--allow-reserved"});
  EXPECT_EQ(plan.targets.size(), 1u);
}

TEST(CommandLine, MaxTargetsGuards) {
  EXPECT_EQ(parse({"198.18.0.0/24", "--max-targets", "256"}).targets.size(), 256u);
  EXPECT_THROW((void)parse_command_line({"198.18.0.0/24", "--max-targets", "255"}, no_dns), UsageError);
}

TEST(CommandLine, TransmitOptions) {
  ScanPlan plan = parse({"198.18.0.1", "--send-backend", "libnet", "--tx-threads", "2", "--offline"});
  EXPECT_EQ(plan.send_backend, SendBackend::kLibnet);
  EXPECT_EQ(plan.transmit_threads, 2u);
  EXPECT_TRUE(plan.offline);
  EXPECT_THROW((void)parse_command_line({"198.18.0.1", "--send-backend", "pigeon"}, no_dns), UsageError);
  EXPECT_THROW((void)parse_command_line({"198.18.0.1", "--tx-threads", "0"}, no_dns), UsageError);
}

TEST(CommandLine, DefaultTransmitThreadsFollowTheRate) {
  const unsigned fast_default = std::thread::hardware_concurrency() >= 2 ? 2u : 1u;
  EXPECT_EQ(parse({"198.18.0.1", "--rate", "50000"}).transmit_threads, 1u);
  EXPECT_EQ(parse({"198.18.0.1", "--rate", "200000"}).transmit_threads, 1u);
  EXPECT_EQ(parse({"198.18.0.1", "--rate", "200001"}).transmit_threads, fast_default);
  EXPECT_EQ(parse({"198.18.0.1", "--rate", "max"}).transmit_threads, fast_default);
  EXPECT_EQ(parse({"198.18.0.1", "--rate", "500000", "--tx-threads", "1"}).transmit_threads, 1u);
}

// A real resume file of "198.18.0.0/24 --top-ports 20 --rate 500 --seed 5 -oX first.xml",
// interrupted (or complete), in a fresh directory.
class ResumeCommandLine : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/synscan-cli-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    directory_ = pattern;
    original_ = parse({"198.18.0.0/24", "--top-ports", "20", "--rate", "500", "--seed", "5", "-oX", "first.xml"});
    write(false);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  void write(bool complete) {
    ResumeState state;
    state.hosts_per_group = 16;
    state.fingerprint = plan_fingerprint(original_, 16);
    state.done_below = 3;
    state.complete = complete;
    std::ofstream(file_) << format_resume_file(original_, state);
  }
  std::string message_of(std::vector<std::string> arguments) const {
    arguments.insert(arguments.begin(), {"--resume", file_});
    try {
      const ParsedCommandLine parsed = parse_command_line(arguments, no_dns);
      return parsed.plan ? "" : parsed.informational;
    } catch (const UsageError& error) {
      return error.what();
    }
  }
  std::string directory_;
  std::string file_ = "";
  ScanPlan original_;
};

TEST_F(ResumeCommandLine, RefusesEveryScanSettingNamingIt) {
  file_ = directory_ + "/scan.resume";
  write(false);
  for (const OptionSpec& option : option_table()) {
    if (option.resume == ResumePolicy::kPerRun) continue;
    std::vector<std::string> arguments = {"-oX", directory_ + "/new.xml"};
    if (option.name == "target") {
      arguments.emplace_back("198.18.0.1");
    } else {
      arguments.push_back("--" + std::string(option.name) + (option.kind == OptionKind::kFlag ? "" : "=1"));
    }
    const std::string message = message_of(arguments);
    EXPECT_EQ(message.rfind("--resume takes the scan settings from its file; remove ", 0), 0u) << message;
    const std::string named = option.name == "target" ? "the targets" : "--" + std::string(option.name);
    EXPECT_NE(message.find(named), std::string::npos) << message;
  }
  EXPECT_EQ(message_of({"-oX", "new.xml", "-sU"}),
            "--resume takes the scan settings from its file; remove --udp (-sU)");
  EXPECT_EQ(message_of({"-oX", "new.xml", "--max-retries", "2"}),
            "--resume takes the scan settings from its file; remove --retries");
}

TEST_F(ResumeCommandLine, HonoursOutputsAndDiagnostics) {
  file_ = directory_ + "/scan.resume";
  write(false);
  ParsedCommandLine parsed = parse_command_line(
      {"--resume", file_, "--open", "-oJ", "new.jsonl", "-vv", "--no-progress", "--services-file", "names",
       "--resume-file", "next.resume", "-n", "-Pn"},
      no_dns);
  ASSERT_TRUE(parsed.plan);
  const ScanPlan& plan = *parsed.plan;
  EXPECT_TRUE(plan.only_open);
  ASSERT_EQ(plan.outputs.size(), 1u);
  EXPECT_EQ(plan.outputs[0].path, "new.jsonl");
  EXPECT_EQ(plan.verbosity, 2);
  EXPECT_FALSE(plan.progress);
  EXPECT_EQ(plan.services_file, "names");
  EXPECT_EQ(plan.resume_file, "next.resume");
  // The scan itself is the saved one: its 20 ports, rate, seed and targets.
  EXPECT_EQ(plan.ports.tcp, original_.ports.tcp);
  EXPECT_EQ(plan.ports.tcp.size(), 20u);
  EXPECT_EQ(plan.rate, 500);
  EXPECT_EQ(plan.seed, 5u);
  EXPECT_EQ(plan.targets.ranges(), original_.targets.ranges());
  EXPECT_EQ(plan.command_line, original_.command_line);
  ASSERT_TRUE(plan.resume);
  EXPECT_TRUE(plan.resume->group_done(2));
  // Without --resume-file the state goes back to the file it came from.
  parsed = parse_command_line({"--resume", file_, "-oX", "new.xml"}, no_dns);
  EXPECT_EQ(parsed.plan->resume_file, file_);
  EXPECT_FALSE(parsed.plan->only_open);
}

TEST_F(ResumeCommandLine, RefusalsNameTheirReason) {
  file_ = directory_ + "/scan.resume";
  write(false);
  EXPECT_EQ(message_of({}), "--resume needs new output files (-oX/-oG/-oJ/-oA): the interrupted run's files "
                            "keep its results; combine them with 'synscan merge'");
  write(true);
  EXPECT_EQ(message_of({"-oX", "new.xml"}), "synscan: " + file_ + ": that scan already completed; nothing to resume\n");
  std::ofstream(file_, std::ios::app) << "done 4\n";
  EXPECT_EQ(message_of({"-oX", "new.xml"}), file_ + ": truncated resume file (no 'end' line)");
  file_ = directory_ + "/missing.resume";
  EXPECT_EQ(message_of({"-oX", "new.xml"}),
            "cannot read resume file '" + file_ + "': No such file or directory");
}

TEST(CommandLine, HelpAndVersionAreInformational) {
  ParsedCommandLine parsed = parse_command_line({"--help"}, no_dns);
  EXPECT_FALSE(parsed.plan);
  EXPECT_NE(parsed.informational.find("Usage: synscan"), std::string::npos);
  ASSERT_TRUE(parsed.documentation);
  EXPECT_EQ(parsed.documentation->groups.front().title, "Scan");
  parsed = parse_command_line({"--version"}, no_dns);
  EXPECT_FALSE(parsed.plan);
  EXPECT_EQ(parsed.informational.rfind("synscan ", 0), 0u);
  for (const char* line : {"\ngit revision: ", "\nlibpcap version ", "\nlibnet version "}) {
    EXPECT_NE(parsed.informational.find(line), std::string::npos) << parsed.informational;
  }
}

TEST(CommandLine, DescriptionListsWhatHelpPrints) {
  const std::string help = parse_command_line({"--help"}, no_dns).informational;
  const CommandLineDoc documentation = describe_command_line();
  for (const OptionGroupDoc& group : documentation.groups) {
    EXPECT_NE(help.find(group.title + ":\n"), std::string::npos) << group.title;
    for (const OptionDoc& option : group.options) {
      EXPECT_NE(help.find("--" + option.long_name + " "), std::string::npos) << option.long_name;
      EXPECT_NE(help.find(option.help.substr(0, 20)), std::string::npos) << option.help;
      if (!option.short_name.empty()) {
        EXPECT_NE(help.find("-" + option.short_name + " [ --" + option.long_name + " ]"), std::string::npos);
      }
    }
  }
  const OptionDoc* ports = nullptr;
  for (const OptionDoc& option : documentation.groups.front().options) {
    if (option.long_name == "ports") ports = &option;
  }
  ASSERT_NE(ports, nullptr);
  EXPECT_EQ(ports->short_name, "p");
  EXPECT_TRUE(ports->takes_value);
  EXPECT_EQ(ports->value_name, "PORTS");
  EXPECT_NE(help.find("-p [ --ports ] PORTS"), std::string::npos);
}

// The UsageError message parse_command_line gives for `arguments` ("" when it accepts them).
std::string usage_message(const std::vector<std::string>& arguments) {
  try {
    (void)parse_command_line(arguments, no_dns);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "";
}

TEST(CommandLine, BadInputIsAUsageErrorNamingTheToken) {
  EXPECT_NE(usage_message({"-p", "22,99999", "198.18.0.1"}).find("99999"), std::string::npos);
  EXPECT_NE(usage_message({"198.18.0.0/33"}).find("198.18.0.0/33"), std::string::npos);
  EXPECT_NE(usage_message({"--rate", "fast", "198.18.0.1"}).find("fast"), std::string::npos);
  EXPECT_NE(usage_message({"--retries", "-1", "198.18.0.1"}).find("-1"), std::string::npos);
  EXPECT_NE(usage_message({"--router-mac", "zz", "198.18.0.1"}).find("zz"), std::string::npos);
  EXPECT_NE(usage_message({}).find("no targets"), std::string::npos);
  EXPECT_NE(usage_message({"--shard", "1/2", "198.18.0.1"}).find("--seed"), std::string::npos);
  EXPECT_NE(usage_message({"--bogus", "198.18.0.1"}).find("bogus"), std::string::npos);
  EXPECT_NE(usage_message({"198.18.0.0/24", "--exclude", "198.18.0.0/24"}).find("excluded"),
            std::string::npos);
  EXPECT_NE(usage_message({"127.0.0.1"}).find("--allow-reserved"), std::string::npos);
  EXPECT_NE(usage_message({"-iL", "/nonexistent/targets.txt"}).find("/nonexistent/targets.txt"),
            std::string::npos);
}

// nmap's two-letter options (nmap_aliases.cpp, from the option table's nmap forms): a value may be
// attached or follow, "-" is a value (stdout), a flag only counts alone, a missing value is named.
TEST(CommandLine, NmapFormsTakeTheirValues) {
  ScanPlan plan = parse({"198.18.0.1", "-oX", "-", "-oJout.jsonl", "-sU", "-p", "U:53"});
  ASSERT_EQ(plan.outputs.size(), 2u);
  EXPECT_EQ(plan.outputs[0].path, "-");
  EXPECT_EQ(plan.outputs[1].format, output::Format::kJsonLines);
  EXPECT_EQ(plan.outputs[1].path, "out.jsonl");
  EXPECT_EQ(plan.ports.udp, (std::vector<std::uint16_t>{53}));
  EXPECT_EQ(usage_message({"198.18.0.1", "-oX"}), "-oX needs FILE");
  EXPECT_EQ(usage_message({"198.18.0.1", "-oA"}), "-oA needs BASE");
  EXPECT_NE(usage_message({"198.18.0.1", "-sUx"}).find("-sUx"), std::string::npos);
  EXPECT_EQ(usage_message({"198.18.0.1", "-S", "198.18.0.01"}),
            "invalid -S address '198.18.0.01': octet '01' has a leading zero (inet_aton and nmap "
            "read it as octal; write it without the zero)");
}

}  // namespace
}  // namespace synscan::scanner
