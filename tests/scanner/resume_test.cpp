// Resume files: the plan and the progress round-trip; truncated, edited, corrupt, oversized and
// foreign files are each refused with one line; the file is replaced atomically and placed beside
// regular output files only.
#include "scanner/resume.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "resume_file.hpp"
#include "scanner/errors.hpp"
#include "scanner/scan_order.hpp"

namespace synscan::scanner {
namespace {

ScanPlan sample_plan() {
  ScanPlan plan;
  plan.targets = TargetSet({{0xC6120000u, 0xC61200FFu}, {0xC6120A00u, 0xC6120A0Fu}}, {});
  plan.ports.tcp = {22, 80, 443};
  plan.ports.udp = {53};
  plan.rate = 50'000;
  plan.retries = 2;
  plan.wait_seconds = 0.5;
  plan.seed = 123456789012345ull;
  plan.shard = {2, 3};
  plan.interface = "veth0";
  plan.router_mac = net::MacAddress{2, 0, 0, 0, 0, 9};
  plan.transmit_threads = 2;
  plan.command_line = "synscan -p 22,80,443 198.18.0.0/24";
  return plan;
}

// 272 hosts, 64 per group: 5 groups (55, 55, 54, 54, 54 hosts), 4 probes each.
constexpr std::uint32_t kHostsPerGroup = 64;

ResumeState sample_state(const ScanPlan& plan) {
  ResumeState state;
  state.hosts_per_group = kHostsPerGroup;
  state.fingerprint = plan_fingerprint(plan, kHostsPerGroup);
  state.done_below = 2;
  state.done_above = {4};
  const ScanOrder order(plan.targets.size(), 4, kHostsPerGroup, plan.seed, plan.shard);
  std::vector<std::uint32_t> entries(order.entries_in_group(3), 0x1u);  // sent once, pending
  entries[0] = 0x400211u;                                                // answered, reported
  entries[5] = 0xFFFF03FFu;
  entries[6] = 0x1u | (std::uint32_t{7} << 10);  // a generation: dropped, restore_entry sets its own
  state.in_flight.emplace_back(3, entries);
  return state;
}

std::string error_for(const std::string& text) {
  OptionValues read;
  try {
    (void)parse_resume_file(text, "x.resume", read);
  } catch (const UsageError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
    return message;
  }
  return "";
}

// Recomputes the closing checksum, as someone editing the file with care would.
std::string with_valid_checksum(const std::string& text) {
  const std::string body = text.substr(0, text.rfind("end "));
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char byte : body) hash = (hash ^ byte) * 0x100000001b3ull;
  char line[40];
  std::snprintf(line, sizeof line, "end %016llx\n", static_cast<unsigned long long>(hash));
  return body + line;
}

// "x.resume:N:" for the line that starts with `key`.
std::string at_line(const std::string& text, const std::string& key) {
  const std::size_t begin = text.find("\n" + key + " ");
  const auto line = 2 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(begin), '\n');
  return "x.resume:" + std::to_string(line) + ": ";
}

std::string replace_line(std::string text, const std::string& key, const std::string& line) {
  const std::size_t begin = text.find("\n" + key + " ") + 1;
  text.replace(begin, text.find('\n', begin) - begin, line);
  return text;
}

TEST(ResumeFormat, PlanAndProgressRoundTrip) {
  const ScanPlan plan = sample_plan();
  const ResumeState state = sample_state(plan);
  const std::string text = format_resume_file(plan, state);

  OptionValues values;
  const ResumeState back = parse_resume_file(text, "x.resume", values);
  const ScanPlan& read = values.plan;
  EXPECT_EQ(read.targets.ranges(), plan.targets.ranges());
  EXPECT_EQ(read.ports.tcp, plan.ports.tcp);
  EXPECT_EQ(read.ports.udp, plan.ports.udp);
  EXPECT_DOUBLE_EQ(read.rate, plan.rate);
  EXPECT_EQ(read.retries, 2u);
  EXPECT_DOUBLE_EQ(read.wait_seconds, 0.5);
  EXPECT_EQ(read.seed, plan.seed);
  EXPECT_EQ(read.shard.index, 2u);
  EXPECT_EQ(read.shard.count, 3u);
  EXPECT_EQ(read.interface, "veth0");
  EXPECT_EQ(read.router_mac, plan.router_mac);
  EXPECT_EQ(read.transmit_threads, 2u);
  EXPECT_EQ(read.command_line, plan.command_line);
  EXPECT_FALSE(back.complete);
  EXPECT_EQ(back.hosts_per_group, kHostsPerGroup);
  EXPECT_TRUE(back.group_done(0));
  EXPECT_TRUE(back.group_done(1));
  EXPECT_FALSE(back.group_done(2));
  EXPECT_FALSE(back.group_done(3));
  EXPECT_TRUE(back.group_done(4));
  ASSERT_NE(back.saved_entries(3), nullptr);
  std::vector<std::uint32_t> expected = state.in_flight[0].second.expand();
  EXPECT_EQ(expected[6], 0x1u);  // the generation went
  EXPECT_EQ(back.saved_entries(3)->expand(), expected);
  EXPECT_EQ((*back.saved_entries(3))[0], 0x400211u);
  EXPECT_EQ((*back.saved_entries(3))[5], 0xFFFF03FFu);
  EXPECT_EQ((*back.saved_entries(3))[7], 0x1u);
  EXPECT_EQ(back.saved_entries(2), nullptr);
}

TEST(ResumeFormat, InFlightGroupsAreRuns) {
  const ScanPlan plan = sample_plan();
  const std::string text = format_resume_file(plan, sample_state(plan));
  // 216 entries: 400211, 1, 1, 1, 1, ffff03ff, then 210 ones (the generation dropped).
  EXPECT_NE(text.find("\ngroup 3 216 400211 1*4 ffff03ff 1*210\n"), std::string::npos) << text;
}

TEST(ResumeFormat, SavedGroupCompressesAndIndexes) {
  std::vector<std::uint32_t> entries(65'000, 0x402u);  // generation 1, sent twice
  entries[100] = 0x21u;
  const SavedGroup saved(entries);
  EXPECT_EQ(saved.size(), 65'000u);
  EXPECT_EQ(saved.runs().size(), 3u);
  EXPECT_EQ(saved[0], 0x2u);
  EXPECT_EQ(saved[100], 0x21u);
  EXPECT_EQ(saved[64'999], 0x2u);
}

TEST(ResumeFormat, TruncatedFilesAreRefused) {
  const ScanPlan plan = sample_plan();
  const std::string good = format_resume_file(plan, sample_state(plan));
  EXPECT_EQ(error_for(good), "");
  EXPECT_EQ(error_for(good.substr(0, good.rfind("end "))), "x.resume: truncated resume file (no 'end' line)");
  EXPECT_EQ(error_for(good.substr(0, good.size() / 2)), "x.resume: truncated resume file (no 'end' line)");
  EXPECT_EQ(error_for(good.substr(0, good.size() - 1)), "x.resume: truncated resume file (no 'end' line)");
  EXPECT_EQ(error_for(""), "x.resume:1: not a synscan resume file");
}

TEST(ResumeFormat, EditedOrDamagedFilesFailTheChecksum) {
  const ScanPlan plan = sample_plan();
  const std::string good = format_resume_file(plan, sample_state(plan));
  const std::string mismatch = "x.resume: checksum mismatch: the file was edited or damaged; it cannot be resumed";
  // Progress edited: would silently skip hosts.
  EXPECT_EQ(error_for(replace_line(good, "done-below", "done-below 4")), mismatch);
  EXPECT_EQ(error_for(replace_line(good, "done", "done 3 4")), mismatch);
  std::string flipped = good;
  flipped[good.find("group 3") + 12] ^= 1;  // one bit of the in-flight entries
  EXPECT_EQ(error_for(flipped), mismatch);
  std::string bad_sum = good;
  bad_sum[bad_sum.size() - 2] = bad_sum[bad_sum.size() - 2] == '0' ? '1' : '0';
  EXPECT_EQ(error_for(bad_sum), mismatch);
}

TEST(ResumeFormat, SizesAreCheckedAgainstThePlan) {
  const ScanPlan plan = sample_plan();
  const std::string good = format_resume_file(plan, sample_state(plan));
  // With a recomputed checksum, a group line still cannot make the reader hold more than the
  // plan gives the group (1 Gi entries claimed in a few bytes of text).
  EXPECT_EQ(error_for(with_valid_checksum(replace_line(good, "group", "group 3 1073741824 0*1073741824"))),
            at_line(good, "group") + "group 3 claims 1073741824 entries; the plan gives it 216");
  EXPECT_EQ(error_for(with_valid_checksum(replace_line(good, "group", "group 3 216 0*217"))),
            at_line(good, "group") + "group 3 holds more entries than it claims");
  EXPECT_EQ(error_for(with_valid_checksum(replace_line(good, "group", "group 3 216 0*215"))),
            at_line(good, "group") + "group 3 is truncated");
  EXPECT_EQ(error_for(with_valid_checksum(replace_line(good, "group", "group 99 216 0*216"))),
            at_line(good, "group") + "group 99 is past the last group");
  EXPECT_EQ(error_for(with_valid_checksum(replace_line(good, "done-below", "done-below 7"))),
            at_line(good, "done-below") + "done-below is past the last group");
  EXPECT_EQ(error_for(with_valid_checksum(replace_line(good, "hosts-per-group", "hosts-per-group 100000"))),
            at_line(good, "hosts-per-group") + "hosts-per-group 100000 does not fit the saved targets and ports");
  // A consistent edit of the plan is caught by the fingerprint.
  std::string other_targets = good;
  other_targets.replace(other_targets.find("198.18.0.255"), 12, "198.18.0.254");
  EXPECT_EQ(error_for(with_valid_checksum(other_targets)),
            "x.resume: the saved scan plan does not match its fingerprint (edited or corrupt)");
}

TEST(ResumeFormat, ForeignAndOlderFilesAreRefused) {
  const ScanPlan plan = sample_plan();
  const std::string good = format_resume_file(plan, sample_state(plan));
  EXPECT_EQ(error_for("hello\n"), "x.resume:1: not a synscan resume file");
  // Version 3 had other setting keys, version 2 no checksum, version 1 other group cuts.
  for (const char* version : {"synscan-resume 1", "synscan-resume 2", "synscan-resume 3"}) {
    std::string older = good.substr(0, good.rfind("end ")) + "end\n";
    older.replace(0, older.find('\n'), version);
    EXPECT_EQ(error_for(older), std::string("x.resume:1: resume file format '") + version +
                                    "' is from another synscan version (this one reads 'synscan-resume 4')");
  }
  std::string unknown = good;
  unknown.insert(unknown.find("done-below"), "colour blue\n");
  EXPECT_EQ(error_for(with_valid_checksum(unknown)), at_line(good, "done-below") + "unknown key 'colour'");
}

TEST(ResumeState, SettleKeepsThePreviousRunsProgress) {
  ResumeState previous;
  previous.done_below = 2;
  previous.done_above = {4, 6};
  previous.in_flight.emplace_back(3, std::vector<std::uint32_t>{1, 1});
  previous.in_flight.emplace_back(5, std::vector<std::uint32_t>{1, 2});
  ResumeState now;
  now.done_above = {2, 3};                                              // this run finished 3
  now.in_flight.emplace_back(7, std::vector<std::uint32_t>{1, 1});      // and was cut in 7
  now.settle(&previous, 9, false);
  EXPECT_EQ(now.done_below, 5u);
  EXPECT_EQ(now.done_above, (std::vector<std::uint64_t>{6}));
  ASSERT_NE(now.saved_entries(5), nullptr);  // never reached by this run: kept
  EXPECT_EQ(now.saved_entries(5)->expand(), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(now.saved_entries(3), nullptr);  // finished now
  EXPECT_NE(now.saved_entries(7), nullptr);
  EXPECT_FALSE(now.complete);
  ResumeState last;
  last.done_above = {7, 8};
  last.settle(&now, 9, false);
  EXPECT_FALSE(last.complete);  // group 5 is still saved
  ResumeState finished;
  finished.settle(&now, 9, true);
  EXPECT_TRUE(finished.complete);
}

TEST(ResumeFingerprint, DependsOnEverythingThatDecidesTheOrder) {
  const ScanPlan plan = sample_plan();
  const std::uint64_t base = plan_fingerprint(plan, 64);
  EXPECT_NE(base, plan_fingerprint(plan, 65));
  ScanPlan other = plan;
  other.seed += 1;
  EXPECT_NE(base, plan_fingerprint(other, 64));
  other = plan;
  other.ports.tcp.push_back(8080);
  EXPECT_NE(base, plan_fingerprint(other, 64));
  other = plan;
  other.shard = {1, 3};
  EXPECT_NE(base, plan_fingerprint(other, 64));
  other = plan;
  other.rate = 10;  // pacing does not change the order
  EXPECT_EQ(base, plan_fingerprint(other, 64));
}

class ResumeFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/synscan-resume-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    directory_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  static std::string contents(const std::string& path) {
    std::ifstream file(path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
  }
  std::string directory_;
};

TEST_F(ResumeFileTest, GoesBesideRegularOutputFilesOnly) {
  ScanPlan plan;
  EXPECT_EQ(ResumeFile::choose_path(plan), "");
  plan.outputs.push_back({output::Format::kJsonLines, "-"});
  EXPECT_EQ(ResumeFile::choose_path(plan), "");  // stdout only: no file nobody asked for
  const std::string regular = directory_ + "/scan.jsonl";
  std::ofstream(regular) << "";
  plan.outputs.push_back({output::Format::kJsonLines, regular});
  EXPECT_EQ(ResumeFile::choose_path(plan), regular + ".resume");
  plan.outputs.insert(plan.outputs.begin(), {output::Format::kJsonLines, "/dev/null"});
  std::string reason;
  EXPECT_EQ(ResumeFile::choose_path(plan, &reason), "synscan.resume");
  EXPECT_EQ(reason, "/dev/null is not a regular file");
  plan.resume_file = directory_ + "/chosen";
  EXPECT_EQ(ResumeFile::choose_path(plan), directory_ + "/chosen");
}

TEST_F(ResumeFileTest, NeverReplacesADeviceOrAPipe) {
  ScanPlan plan;
  plan.resume_file = "/dev/null";
  EXPECT_FALSE(ResumeFile::open(plan).valid());
  plan.resume_file = directory_ + "/fifo";
  ASSERT_EQ(::mkfifo(plan.resume_file.c_str(), 0600), 0);
  EXPECT_FALSE(ResumeFile::open(plan).valid());  // and did not block waiting for a reader
  struct stat status {};
  ASSERT_EQ(::stat("/dev/null", &status), 0);
  EXPECT_TRUE(S_ISCHR(status.st_mode));
}

TEST_F(ResumeFileTest, SaveReplacesTheFileAndLeavesNoTemporary) {
  ScanPlan plan;
  plan.resume_file = directory_ + "/state.resume";
  ResumeFile file = ResumeFile::open(plan);
  ASSERT_TRUE(file.valid());
  std::ofstream(plan.resume_file) << "old state";
  struct stat old_status {};
  ASSERT_EQ(::stat(plan.resume_file.c_str(), &old_status), 0);
  file.save("new state\n");
  EXPECT_EQ(contents(plan.resume_file), "new state\n");
  struct stat status {};
  ASSERT_EQ(::stat(plan.resume_file.c_str(), &status), 0);
  EXPECT_NE(status.st_ino, old_status.st_ino);  // a new file renamed over the old one, not a rewrite
  EXPECT_EQ(status.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(plan.resume_file + ".tmp"));
}

// As after a root scan's drop to nobody: the file was opened before, its directory is not
// writable now. Root runs the save in a child that drops to nobody; others make the directory
// read-only.
TEST_F(ResumeFileTest, UnwritableDirectoryRewritesInPlace) {
  ScanPlan plan;
  plan.resume_file = directory_ + "/state.resume";
  ResumeFile file = ResumeFile::open(plan);
  ASSERT_TRUE(file.valid());
  ASSERT_EQ(::chmod(directory_.c_str(), 0755), 0);
  if (::geteuid() == 0) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) ::_exit(3);
      try {
        file.save("new state\n");
      } catch (...) {
        ::_exit(4);
      }
      ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  } else {
    ASSERT_EQ(::chmod(directory_.c_str(), 0500), 0);
    file.save("new state\n");
    ::chmod(directory_.c_str(), 0700);
  }
  EXPECT_EQ(contents(plan.resume_file), "new state\n");
  EXPECT_FALSE(std::filesystem::exists(plan.resume_file + ".tmp"));
}

TEST_F(ResumeFileTest, ReadRefusesOversizedAndMissingFiles) {
  ScanPlan plan;
  const std::string big = directory_ + "/big.resume";
  std::ofstream(big) << "";
  ASSERT_EQ(::truncate(big.c_str(), static_cast<off_t>(kMaxResumeFileBytes + 1)), 0);
  EXPECT_THROW((void)read_resume_file(big, plan), UsageError);
  try {
    (void)read_resume_file(big, plan);
  } catch (const UsageError& error) {
    EXPECT_EQ(std::string(error.what()), big + ": not a synscan resume file (not a regular file of at most 32 MiB)");
  }
  try {
    (void)read_resume_file(directory_ + "/missing", plan);
    ADD_FAILURE() << "a missing file was read";
  } catch (const UsageError& error) {
    EXPECT_EQ(std::string(error.what()),
              "cannot read resume file '" + directory_ + "/missing': No such file or directory");
  }
}

}  // namespace
}  // namespace synscan::scanner
