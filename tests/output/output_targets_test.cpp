// output_targets(): the one assembly of -oX/-oG/-oJ/-oA for scans and convert/merge.
#include <gtest/gtest.h>

#include "output/writers.hpp"

namespace synscan::output {
namespace {

TEST(OutputTargets, OrderIsXmlGreppableJsonThenEachBase) {
  const std::vector<OutputTarget> targets =
      output_targets({"a.xml", "b.xml"}, {"-"}, {"c.jsonl"}, {"all", "more/run"});
  const std::vector<std::pair<Format, std::string>> expected = {
      {Format::kXml, "a.xml"},
      {Format::kXml, "b.xml"},
      {Format::kGreppable, "-"},
      {Format::kJsonLines, "c.jsonl"},
      {Format::kXml, "all.xml"},
      {Format::kGreppable, "all.gnmap"},
      {Format::kJsonLines, "all.jsonl"},
      {Format::kXml, "more/run.xml"},
      {Format::kGreppable, "more/run.gnmap"},
      {Format::kJsonLines, "more/run.jsonl"},
  };
  ASSERT_EQ(targets.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(targets[i].format, expected[i].first) << i;
    EXPECT_EQ(targets[i].path, expected[i].second) << i;
  }
}

TEST(OutputTargets, EmptyPathsAreOptionsNotGiven) {
  EXPECT_TRUE(output_targets({""}, {""}, {""}, {""}).empty());
  EXPECT_TRUE(output_targets({}, {}, {}, {}).empty());
  const std::vector<OutputTarget> one = output_targets({""}, {"x.gnmap"}, {}, {""});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].format, Format::kGreppable);
}

}  // namespace
}  // namespace synscan::output
