// Resume files: the plan and the progress round-trip; edited, truncated or foreign files are
// rejected with a line number.
#include "scanner/resume.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "scanner/errors.hpp"
#include "scanner/scan_order.hpp"

namespace synscan::scanner {
namespace {

class ResumeFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/synscan-resume-test-XXXXXX";
    fd_ = ::mkstemp(pattern);
    ASSERT_GE(fd_, 0);
    path_ = pattern;
  }
  void TearDown() override {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  std::string contents() const {
    std::ifstream file(path_);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
  }
  void replace_contents(const std::string& text) const {
    std::ofstream file(path_, std::ios::trunc);
    file << text;
  }
  int fd_ = -1;
  std::string path_;
};

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
  plan.only_open = true;
  plan.transmit_threads = 2;
  plan.command_line = "synscan -p 22,80,443 198.18.0.0/24";
  return plan;
}

TEST_F(ResumeFileTest, PlanAndProgressRoundTrip) {
  const ScanPlan plan = sample_plan();
  ResumeState state;
  state.hosts_per_group = 64;
  state.fingerprint = plan_fingerprint(plan, 64);
  state.done_below = 2;
  state.done_above = {4, 7};
  state.in_flight.push_back({3, {0x400211u, 0u, 0x2u, 0xFFFFFFFFu}});
  write_resume_file(fd_, path_, plan, state);

  ScanPlan read;
  const ResumeState back = read_resume_file(path_, read);
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
  EXPECT_TRUE(read.only_open);
  EXPECT_EQ(read.transmit_threads, 2u);
  EXPECT_EQ(read.command_line, plan.command_line);
  EXPECT_FALSE(back.complete);
  EXPECT_EQ(back.hosts_per_group, 64u);
  EXPECT_TRUE(back.group_done(0));
  EXPECT_TRUE(back.group_done(1));
  EXPECT_FALSE(back.group_done(2));
  EXPECT_FALSE(back.group_done(3));
  EXPECT_TRUE(back.group_done(4));
  EXPECT_TRUE(back.group_done(7));
  ASSERT_NE(back.saved_entries(3), nullptr);
  EXPECT_EQ(*back.saved_entries(3), (std::vector<std::uint32_t>{0x400211u, 0u, 0x2u, 0xFFFFFFFFu}));
  EXPECT_EQ(back.saved_entries(2), nullptr);
}

TEST_F(ResumeFileTest, EditedTruncatedAndForeignFilesAreRejected) {
  const ScanPlan plan = sample_plan();
  ResumeState state;
  state.hosts_per_group = 64;
  state.fingerprint = plan_fingerprint(plan, 64);
  write_resume_file(fd_, path_, plan, state);
  const std::string good = contents();

  const auto error_for = [&](const std::string& text) -> std::string {
    replace_contents(text);
    ScanPlan read;
    try {
      (void)read_resume_file(path_, read);
    } catch (const UsageError& error) {
      return error.what();
    }
    return "";
  };
  // Another target range with the old fingerprint: refused, it would scan something else.
  std::string edited = good;
  edited.replace(edited.find("198.18.0.255"), 12, "198.18.0.254");
  EXPECT_NE(error_for(edited).find("fingerprint"), std::string::npos) << error_for(edited);
  EXPECT_NE(error_for(good.substr(0, good.find("end\n"))).find("truncated"), std::string::npos);
  EXPECT_NE(error_for(good.substr(0, good.size() / 2)), "");  // cut mid-line: rejected too
  EXPECT_NE(error_for("hello\n").find(":1: not a synscan resume file"), std::string::npos);
  // Version 1 cut groups differently: its group numbers would name other hosts.
  std::string version1 = good;
  version1.replace(0, version1.find('\n'), "synscan-resume 1");
  EXPECT_NE(error_for(version1).find("from another synscan version"), std::string::npos)
      << error_for(version1);
  std::string unknown = good;
  unknown.insert(unknown.find("end\n"), "colour blue\n");
  EXPECT_NE(error_for(unknown).find("unknown key 'colour'"), std::string::npos);
  std::string short_group = good;
  short_group.insert(short_group.find("end\n"), "group 1 5 1 2\n");
  EXPECT_NE(error_for(short_group).find("truncated"), std::string::npos);
  EXPECT_EQ(error_for(good), "");
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

}  // namespace
}  // namespace synscan::scanner
