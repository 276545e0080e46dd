// One exit-code table for scans and subcommands (scanner/exit_codes.hpp), kept true in README.
// Everything here runs without privileges and sends nothing: the scans fail before any socket.
#include "scanner/exit_codes.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "scanner/cli.hpp"

namespace synscan::scanner {
namespace {

int run(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "synscan");
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  return run_synscan(static_cast<int>(arguments.size()), argv.data());
}

// A file in the test's temporary directory, removed at the end of the test.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& contents)
      : path_(::testing::TempDir() + "synscan_exit_codes_" + name) {
    std::ofstream(path_) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr const char* kOpen =
    "{\"ip\":\"198.18.0.1\",\"port\":22,\"proto\":\"tcp\",\"state\":\"open\",\"reason\":"
    "\"syn-ack\",\"ttl\":64}\n";
constexpr const char* kClosed =
    "{\"ip\":\"198.18.0.1\",\"port\":22,\"proto\":\"tcp\",\"state\":\"closed\",\"reason\":"
    "\"reset\",\"ttl\":64}\n";

TEST(ExitCodes, EveryCodeHasOneMeaning) {
  const std::set<int> codes = {kExitSuccess, kExitUsage, kExitRuntime, kExitDifferent,
                               kExitInterrupted};
  EXPECT_EQ(codes.size(), 5u);
}

TEST(ExitCodes, ScanUsageErrorsExitWithTheUsageCode) {
  EXPECT_EQ(run({"--no-such-option", "198.18.0.1"}), kExitUsage);
  EXPECT_EQ(run({"198.18.0.010"}), kExitUsage);  // leading zero refused
  EXPECT_EQ(run({"-p", "70000", "198.18.0.1"}), kExitUsage);
  EXPECT_EQ(run({"--offline", "198.18.0.1", "-oX"}), kExitUsage);  // -oX needs a file name
  EXPECT_EQ(run({"--offline", "198.18.0.1", "--services-file", "/nonexistent/services"}),
            kExitUsage);
  EXPECT_EQ(run({"--version"}), kExitSuccess);
}

TEST(ExitCodes, ScanRuntimeErrorsExitWithTheRuntimeCode) {
  // An output below a regular file cannot be created (ENOTDIR): fails before anything is sent.
  const TempFile not_a_directory("plain_file", "x");
  EXPECT_EQ(run({"--offline", "198.18.0.1", "-p", "22", "-oX", not_a_directory.path() + "/x.xml"}),
            kExitRuntime);
}

TEST(ExitCodes, SubcommandsUseTheSameTable) {
  const TempFile open_scan("open.jsonl", kOpen);
  const TempFile closed_scan("closed.jsonl", kClosed);
  EXPECT_EQ(run({"diff", open_scan.path(), open_scan.path()}), kExitSuccess);
  EXPECT_EQ(run({"diff", open_scan.path(), closed_scan.path()}), kExitDifferent);
  EXPECT_EQ(run({"diff", open_scan.path()}), kExitUsage);
  EXPECT_EQ(run({"diff", open_scan.path(), closed_scan.path(), "--bogus"}), kExitUsage);
  EXPECT_EQ(run({"diff", open_scan.path(), "/nonexistent/scan.xml"}), kExitRuntime);
  EXPECT_EQ(run({"merge", open_scan.path()}), kExitUsage);  // no output named
  EXPECT_EQ(run({"convert", open_scan.path(), "-oJ"}), kExitUsage);
  EXPECT_EQ(run({"convert", open_scan.path(), closed_scan.path(), "-oJ", "-"}), kExitUsage);
  EXPECT_EQ(run({"convert", open_scan.path(), "-oJ", "-", "--services-file", "/nonexistent/s"}),
            kExitUsage);
  EXPECT_EQ(run({"convert", "/nonexistent/scan.xml", "-oJ", "-"}), kExitRuntime);
  EXPECT_EQ(run({"report", open_scan.path()}), kExitUsage);  // no -o
  EXPECT_EQ(run({"convert", "--help"}), kExitSuccess);
  EXPECT_EQ(run({"convert", open_scan.path(), "-oJ", "-"}), kExitSuccess);
}

TEST(ExitCodes, HelpListsTheTable) {
  const ParsedCommandLine parsed = parse_command_line({"--help"});
  EXPECT_NE(parsed.informational.find("Exit codes: 0 success, 1 usage error, 2 runtime error, "
                                      "3 diff found changes, 130 interrupted\n"),
            std::string::npos)
      << parsed.informational;
}

// README's exit-code table lists exactly these codes.
TEST(ExitCodes, ReadmeTableMatches) {
  std::ifstream file(std::string(SYNSCAN_TEST_DATA_DIR) + "/../../README.md");
  ASSERT_TRUE(file) << "README.md not found";
  std::stringstream text;
  text << file.rdbuf();
  const std::string readme = text.str();
  const std::size_t section = readme.find("\n### Exit codes\n");
  ASSERT_NE(section, std::string::npos);
  const std::size_t end = readme.find("\n#", section + 1);
  const std::string table = readme.substr(section, end - section);
  std::set<int> listed;
  const std::regex row(R"(\n\| \*\*(\d+)\*\* \|)");
  for (auto it = std::sregex_iterator(table.begin(), table.end(), row);
       it != std::sregex_iterator(); ++it) {
    listed.insert(std::stoi((*it)[1]));
  }
  std::set<int> documented;
  for (const ExitCodeDoc& row : kExitCodeTable) documented.insert(row.code);
  EXPECT_EQ(listed, documented);
  EXPECT_EQ(documented, (std::set<int>{kExitSuccess, kExitUsage, kExitRuntime, kExitDifferent,
                                       kExitInterrupted}));
}

}  // namespace
}  // namespace synscan::scanner
