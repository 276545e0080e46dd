// JSON lines (-oJ): one object per final (host, port) result, one line each, flushed at the end of
// each engine output pass (end_batch), so whole lines reach a reader together and a sweep's
// unanswered ports do not cost one write(2) each:
//
//   {"ip":"198.18.0.5","port":80,"proto":"tcp","state":"open","reason":"syn-ack","ttl":64,
//    "service":"http","time":1764051234,"category":"well-known"}  (one line; keys in this order;
//    category: IANA/RFC 6335 well-known 0-1023, registered 1024-49151, dynamic 49152-65535)
//
// The stream is lossless and self-contained per line: every record carries everything about its
// result, so begin(), host() and finish() write nothing — a header or footer line would break
// `jq`/`grep` pipelines that expect one uniform record type, and an interrupted scan is still a
// valid file (every line complete). Hosts that never answered still produce their per-port lines
// (filtered/no-response): that is the information the other formats summarise away.
// With --open only open and open|filtered results are written.
#include <fmt/format.h>

#include "net/ipv4_address.hpp"
#include "format.hpp"
#include "output/top_ports.hpp"
#include "writer_factories.hpp"

namespace synscan::output::detail {
namespace {

class JsonLinesWriter final : public ResultWriter {
 public:
  JsonLinesWriter(std::unique_ptr<OutputFile> file, ServiceLookup lookup)
      : file_(std::move(file)), lookup_(std::move(lookup)) {}
  // Torn down without finish() (an error elsewhere unwinds the scan): the records of the pass
  // under way are still written; a failure here has nowhere to go.
  ~JsonLinesWriter() override {
    try {
      write_batch();
    } catch (const OutputError&) {
    }
  }
  JsonLinesWriter(const JsonLinesWriter&) = delete;
  JsonLinesWriter& operator=(const JsonLinesWriter&) = delete;

  void begin(const ScanInfo& info) override { only_open_ = info.only_open; }

  void port_result(std::uint32_t address, const PortResult& result, std::time_t when) override {
    if (only_open_ && !shown_with_open_only(result.state)) return;
    line_.clear();
    line_ += "{\"ip\":\"";
    line_ += net::Ipv4Address(address).to_string();
    fmt::format_to(std::back_inserter(line_),
                   "\",\"port\":{},\"proto\":\"{}\",\"state\":\"{}\",\"reason\":\"{}\",\"ttl\":{},"
                   "\"service\":",
                   result.port, to_string(result.protocol), to_string(result.state),
                   to_string(result.reason), result.reason_ttl);
    append_json_string(line_, lookup_(result.protocol, result.port));
    fmt::format_to(std::back_inserter(line_), ",\"time\":{},\"category\":\"{}\"}}\n",
                   static_cast<long long>(when), port_category(result.port));
    batch_ += line_;
    // Bounded memory on a huge pass: whole lines go out early, the rest at end_batch().
    if (batch_.size() >= kBatchBytes) write_batch();
  }

  void host(const HostResult&) override {}
  void end_batch() override { write_batch(); }
  void finish(const ScanSummary&) override { end_batch(); }

 private:
  std::unique_ptr<OutputFile> file_;
  ServiceLookup lookup_;
  // Out and flushed, so what a reader finds after the call ends with a whole line.
  void write_batch() {
    if (batch_.empty()) return;
    file_->write(batch_);
    batch_.clear();
    file_->flush();
  }

  static constexpr std::size_t kBatchBytes = 256 * 1024;
  std::string line_;   // reused: no allocation per record once warm
  std::string batch_;  // whole lines not yet written; capacity kept between passes
  bool only_open_ = false;
};

}  // namespace

std::unique_ptr<ResultWriter> make_json_lines_writer(std::unique_ptr<OutputFile> file,
                                                     ServiceLookup lookup) {
  return std::make_unique<JsonLinesWriter>(std::move(file), std::move(lookup));
}

}  // namespace synscan::output::detail
