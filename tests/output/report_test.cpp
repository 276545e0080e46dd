// report (tools.hpp): the right totals, escaping of everything from the file, no external
// resources, and the page as a real browser renders it (headless Chromium, when installed).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "output/tools.hpp"
#include "output_test_support.hpp"

namespace synscan::output {
namespace {

using namespace test_support;

const std::string kData = std::string(SYNSCAN_TEST_DATA_DIR) + "/output/";

ScanModel sample_scan() {
  const SampleScan sample;
  const std::string path = temp_path("report.jsonl");
  write_scan(Format::kJsonLines, path, sample.info, sample.hosts(), sample.summary());
  return read_scan_file(path);
}

// The sample: open 22, 9999, 53 on .5 and 22 on .9 = 4; closed 80 (.5), 1000-1039 (.9), 22 (.12)
// = 42; filtered 443, 8080 (.5), 80 (.12) = 3; open|filtered 161 (.5) = 1; 3 hosts up.
void expect_sample_totals(const std::string& html) {
  EXPECT_NE(html.find("id=\"hosts-up\"><b>3</b>"), std::string::npos);
  EXPECT_NE(html.find("id=\"total-open\"><b>4</b>"), std::string::npos);
  EXPECT_NE(html.find("id=\"total-closed\"><b>42</b>"), std::string::npos);
  EXPECT_NE(html.find("id=\"total-filtered\"><b>3</b>"), std::string::npos);
  EXPECT_NE(html.find("id=\"total-open-filtered\"><b>1</b>"), std::string::npos);
}

TEST(Report, TotalsChartTopHostsAndTable) {
  const std::string html = html_report(sample_scan(), "sample.jsonl");
  expect_sample_totals(html);
  // Bar chart: ssh, open on two hosts, is the longest bar and comes first.
  const std::size_t chart = html.find("<svg id=\"services-chart\"");
  ASSERT_NE(chart, std::string::npos);
  EXPECT_LT(html.find("22/tcp ssh", chart), html.find("53/udp domain", chart));
  EXPECT_NE(html.find("<tr><td>198.18.0.5</td><td class=\"number\">3</td><td>22/tcp, 9999/tcp, 53/udp</td></tr>"),
            std::string::npos);
  // Every record of the up hosts is in the data block: 7 + 41 + 2 kinds-indexed records.
  const std::size_t records = html.find("\"records\":[");
  ASSERT_NE(records, std::string::npos);
  const std::string list = html.substr(records, html.find(']', records) - records);
  EXPECT_EQ(std::count(list.begin(), list.end(), ','), 49);
  EXPECT_NE(html.find("\"admin-prohibited\""), std::string::npos);
}

TEST(Report, EscapesEverythingAndFetchesNothing) {
  ScanModel scan = sample_scan();
  scan.command_line = "synscan <script>alert(1)</script> & \"quoted\"";
  const std::string html = html_report(scan, "a<b>.jsonl");
  // Only the page's own two script elements; data strings keep '<' as \u003c.
  EXPECT_EQ(html.find("<script", html.find("<script", html.find("<script") + 1) + 1),
            std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;"),
            std::string::npos);
  EXPECT_NE(html.find("odd/svc&lt;&amp;&quot;&#39;&gt;"), std::string::npos);  // the odd service
  EXPECT_NE(html.find("a&lt;b&gt;.jsonl"), std::string::npos);
  for (const char* external : {"src=", "href=", "url(", "@import", "<link", "<img", "<iframe"}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
}

TEST(Report, SummarisedPortsCountAndUnmodelledReasonsShow) {
  const std::string html = html_report(read_scan_file(kData + "nmap_handwritten.xml"), "n.xml");
  // The skipped IPv6 host and SCTP port are named on the page, not only on stderr.
  EXPECT_NE(html.find("<details id=\"read-warnings\""), std::string::npos);
  EXPECT_NE(html.find("IPv6 host 2001:db8::1 skipped"), std::string::npos);
  EXPECT_NE(html.find("id=\"hosts-up\"><b>2</b>"), std::string::npos);
  EXPECT_NE(html.find("id=\"total-closed\"><b>997</b>"), std::string::npos);    // 995 + 113, 3389
  EXPECT_NE(html.find("id=\"total-filtered\"><b>999</b>"), std::string::npos);  // 997 + 443, 8443
  EXPECT_NE(html.find("\"conn-refused\""), std::string::npos);
  EXPECT_NE(html.find("\"collapsed\":["), std::string::npos);
}

std::string facts_row(const std::string& html, const std::string& id) {
  const std::string open = "<td id=\"" + id + "\">";
  const std::size_t start = html.find(open);
  if (start == std::string::npos) return "(no row " + id + ")";
  return html.substr(start + open.size(), html.find("</td>", start) - start - open.size());
}

// Run time as the file states it; from whole-second times "about"; JSON lines only a lower
// bound; "unknown" when nothing tells it; never a made-up "0.00 s".
TEST(Report, DurationAndRateAreStatedEstimatedOrUnknown) {
  ScanModel scan = sample_scan();  // JSON lines: every record at kStart
  std::string html = html_report(scan, "s.jsonl");
  EXPECT_EQ(facts_row(html, "duration"), "unknown (the file states no run time)");
  EXPECT_EQ(facts_row(html, "rate"), "unknown (50 records in the file)");
  scan.end_time = scan.start_time + 11;
  html = html_report(scan, "s.jsonl");
  EXPECT_EQ(facts_row(html, "duration"),
            "at least about 11 s (first to last record&#39;s whole-second time stamp)");
  EXPECT_EQ(facts_row(html, "rate"), "at most about 5 records/s (50 records in the file)");
  scan.format = ScanFileFormat::kXml;
  scan.hosts_total = 256;
  html = html_report(scan, "s.xml");
  EXPECT_EQ(facts_row(html, "duration"),
            "about 11 s (from the file&#39;s whole-second start and end times)");
  EXPECT_EQ(facts_row(html, "rate"), "about 23 addresses/s (256 addresses; the file lists no port set)");
  scan.scanned_tcp_ports = {22, 80, 443};
  scan.elapsed_seconds = 2.345;
  html = html_report(scan, "s.xml");
  EXPECT_EQ(facts_row(html, "duration"), "2.35 s");
  EXPECT_EQ(facts_row(html, "rate"), "328 address-port pairs/s (768 pairs, retries not counted)");
}

// JSON lines -> XML and greppable: the converted files say the run time is not recorded (not
// "0.00 seconds"), and reading them back gives an unknown run time.
TEST(Report, ConvertedFilesKeepAnUnknownRunTimeUnknown) {
  const ScanModel scan = sample_scan();
  ASSERT_LT(scan.elapsed_seconds, 0);
  for (const Format format : {Format::kXml, Format::kGreppable}) {
    const std::string path = temp_path(format == Format::kXml ? "converted.xml" : "converted.gnmap");
    (void)write_scan_files(scan, {{format, path}}, {});
    const std::string text = read_file(path);
    EXPECT_NE(text.find("scanned; run time not recorded"), std::string::npos) << text;
    EXPECT_EQ(text.find("scanned in"), std::string::npos) << text;
    const ScanModel back = read_scan_file(path);
    EXPECT_LT(back.elapsed_seconds, 0) << path;
    EXPECT_EQ(facts_row(html_report(back, path), "duration"), "unknown (the file states no run time)");
  }
}

TEST(Report, HeadlessChromiumShowsTheTotals) {
  if (!std::filesystem::exists("/usr/bin/chromium")) SYNSCAN_SKIP_WITHOUT_TOOL("/usr/bin/chromium");
  const std::string path = temp_path("report.html");
  write_file(path, html_report(sample_scan(), "sample.jsonl"));
  const std::string profile = temp_path("chromium-profile");
  std::filesystem::create_directories(profile);
  const CommandResult dom = run_command(
      "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu "
      "--disable-background-networking --disable-component-update --disable-sync --no-first-run "
      "--user-data-dir=" +
      profile + " --dump-dom file://" + path + " 2>/dev/null");
  std::filesystem::remove_all(profile);
  ASSERT_EQ(dom.exit_code, 0) << dom.output;
  // The DOM as the browser parsed it, not our source text.
  expect_sample_totals(dom.output);
  EXPECT_NE(dom.output.find("<svg id=\"services-chart\""), std::string::npos);
}

}  // namespace
}  // namespace synscan::output
