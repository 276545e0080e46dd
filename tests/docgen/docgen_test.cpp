// The man page and completion generators: the help-text convention, escaping, and that every
// option and subcommand --help knows reaches both generated files.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "docgen/docgen.hpp"
#include "packet/udp_payloads.hpp"
#include "scanner/exit_codes.hpp"

namespace synscan::docgen {
namespace {

using scanner::OptionDoc;

TEST(PresentOption, AliasAndValueNameComeFromTheHelpPrefix) {
  const OptionEntry xml = present_option({"output-xml", "", true, "-oX FILE: nmap XML ('-' = stdout)", ""});
  EXPECT_EQ(xml.spellings, (std::vector<std::string>{"--output-xml", "-oX"}));
  EXPECT_EQ(xml.value_name, "FILE");
  EXPECT_EQ(xml.text, "nmap XML ('-' = stdout)");

  const OptionEntry syn = present_option({"syn", "", false, "-sS: TCP SYN scan (the default)", ""});
  EXPECT_EQ(syn.spellings, (std::vector<std::string>{"--syn", "-sS"}));
  EXPECT_EQ(syn.value_name, "");
  EXPECT_EQ(syn.text, "TCP SYN scan (the default)");

  const OptionEntry shard = present_option({"shard", "", true, "i/n: scan the i-th of n disjoint slices", ""});
  EXPECT_EQ(shard.value_name, "i/n");
  EXPECT_EQ(shard.text, "scan the i-th of n disjoint slices");

  // The short option already is the alias: listed once.
  const OptionEntry interface = present_option({"interface", "e", true, "-e IFACE: send and capture on IFACE", ""});
  EXPECT_EQ(interface.spellings, (std::vector<std::string>{"-e", "--interface"}));
  EXPECT_EQ(interface.value_name, "IFACE");
}

TEST(PresentOption, WithoutAPrefixTheValueIsNamedByTheTextOrTheLongName) {
  const OptionEntry ports = present_option({"ports", "p", true, "ports: 22,80, -p- for all", ""});
  EXPECT_EQ(ports.value_name, "PORTS");  // a lower-case word before ':' is text, not a value name
  EXPECT_EQ(ports.text, "ports: 22,80, -p- for all");
  EXPECT_EQ(present_option({"excludefile", "", true, "read exclusions from FILE", ""}).value_name, "FILE");
  EXPECT_EQ(present_option({"max-rtt-timeout", "", true, "upper bound (default 10s)", ""}).value_name, "TIMEOUT");
  EXPECT_EQ(present_option({"open", "", false, "show only open ports", ""}).value_name, "");
}

TEST(PresentOption, TheOptionsOwnPlaceholderWins) {
  const OptionEntry rate = present_option({"rate", "", true, "packets per second", "PPS"});
  EXPECT_EQ(rate.value_name, "PPS");
  const OptionEntry xml = present_option({"output-xml", "", true, "-oX FILE: nmap XML", "FILE"});
  EXPECT_EQ(xml.spellings, (std::vector<std::string>{"--output-xml", "-oX"}));
  EXPECT_EQ(xml.text, "nmap XML");
  EXPECT_EQ(present_option({"send-backend", "", true, "mmsg or libnet", "mmsg|libnet"}).value_name, "mmsg|libnet");
}

TEST(GroffEscape, HyphensBackslashesAndLeadingControlCharacters) {
  EXPECT_EQ(groff_escape("--rate"), "\\-\\-rate");
  EXPECT_EQ(groff_escape("a\\b"), "a\\eb");
  EXPECT_EQ(groff_escape(".TH x"), "\\&.TH x");
  EXPECT_EQ(groff_escape("'quoted'"), "\\&'quoted'");
  EXPECT_EQ(groff_escape("it's"), "it's");
}

TEST(ManPage, DocumentsEveryOptionSubcommandAndExitCode) {
  const auto command_line = scanner::describe_command_line();
  const auto tools = scanner::describe_tools();
  ASSERT_GE(command_line.groups.size(), 4u);
  const std::string page = man_page(command_line, tools, "9.9.9");
  EXPECT_EQ(page.find(".TH SYNSCAN 1"), page.find('\n') + 1);
  EXPECT_NE(page.find("synscan 9.9.9"), std::string::npos);
  std::size_t options = 0;
  for (const auto& group : command_line.groups) {
    EXPECT_NE(page.find(".SS " + group.title + "\n"), std::string::npos) << group.title;
    for (const OptionDoc& option : group.options) {
      ++options;
      EXPECT_NE(page.find("\\fB" + groff_escape("--" + option.long_name) + "\\fR"), std::string::npos)
          << option.long_name;
    }
  }
  EXPECT_GE(options, 40u);
  for (const auto& tool : tools) EXPECT_NE(page.find(".SS " + tool.name + "\n"), std::string::npos) << tool.name;
  for (const char* section : {"EXIT STATUS", "PORT STATES AND REASONS", "FILES", "EXAMPLES", "SAFETY"}) {
    EXPECT_NE(page.find(std::string(".SH ") + section + "\n"), std::string::npos) << section;
  }
  for (const scanner::ExitCodeDoc& exit_code : scanner::kExitCodeTable) {
    EXPECT_NE(page.find(".B " + std::to_string(exit_code.code) + "\n"), std::string::npos) << exit_code.code;
  }
  EXPECT_NE(page.find("open|filtered (no\\-response)"), std::string::npos);
  // Every line is text or a request groff knows: none starts with an unescaped apostrophe.
  std::istringstream lines(page);
  for (std::string line; std::getline(lines, line);) EXPECT_NE(line.rfind('\'', 0), 0u) << line;
}

TEST(BashCompletion, OffersEveryOptionSpellingAndSubcommand) {
  const auto command_line = scanner::describe_command_line();
  const auto tools = scanner::describe_tools();
  const std::string script = bash_completion(command_line, tools);
  const std::size_t start = script.find("      options='");
  ASSERT_NE(start, std::string::npos);
  const std::string scan_options = " " + script.substr(start + 15, script.find('\'', start + 15) - start - 15) + " ";
  for (const auto& group : command_line.groups) {
    for (const OptionDoc& option : group.options) {
      for (const std::string& spelling : present_option(option).spellings) {
        EXPECT_NE(scan_options.find(" " + spelling + " "), std::string::npos) << spelling;
      }
    }
  }
  EXPECT_NE(scan_options.find(" -oA "), std::string::npos);
  // Options whose value is a file name complete file names (-oA BASE, --resume-file PATH too).
  const std::size_t files_at = script.find("file_options='", start);
  const std::string file_options = " " + script.substr(files_at + 14, script.find('\'', files_at + 14) - files_at - 14) + " ";
  for (const char* option : {" -iL ", " --excludefile ", " -oX ", " -oA ", " --resume ", " --resume-file ", " --udp-payloads "}) {
    EXPECT_NE(file_options.find(option), std::string::npos) << option << " in" << file_options;
  }
  EXPECT_EQ(file_options.find(" --rate "), std::string::npos);
  for (const auto& tool : tools) EXPECT_NE(script.find("    " + tool.name + ") tool=1"), std::string::npos);
  EXPECT_NE(script.find("diff) tool=1 options='--help --json' file_options=''"), std::string::npos);
  EXPECT_NE(script.find("complete -F _synscan synscan\n"), std::string::npos);
}

// The example installed as /usr/share/doc/synscan/examples/udp-payloads.txt is a valid file.
TEST(ShippedExamples, UdpPayloadsExampleLoads) {
  packet::UdpPayloadTable table = packet::UdpPayloadTable::builtin();
  ASSERT_NO_THROW(table.load_file(SYNSCAN_SOURCE_DIR "/packaging/examples/udp-payloads.txt"));
  EXPECT_EQ(table.for_port(7001).bytes.size(), 7u);  // "hello\r\n"
  EXPECT_EQ(table.for_port(9999).echo.width, 2);
  EXPECT_EQ(table.for_port(5354).echo.width, 2);
}

}  // namespace
}  // namespace synscan::docgen
