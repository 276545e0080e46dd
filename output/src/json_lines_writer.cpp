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
//
// --banners: an open TCP port's record is written when its host is complete (its service-stage
// connection done) instead of when the SYN answer came, with three more keys after "category":
//   "banner":{"outcome":"answered","text":"SSH-2.0-...\\r\\n","name":"ssh","product":"OpenSSH",
//             "version":"9.2p1","extrainfo":"protocol 2.0"[,"tunnel":"ssl"]}
//   "http":{"status":200,"server":"nginx/1.22.1","title":"..."}            (HTTP answers only)
//   "tls":{"version":"TLSv1.3","cipher":..,"subject_cn":..,"subject":..,"issuer":..,
//          "alt_names":["DNS:a"],"not_before":1764051234,"not_after":1795587234}  (TLS ports only)
// and "fake_open":"why" on the ports of a host that answers as if every port were open
// (--open leaves those out).
#include <fmt/format.h>

#include "net/ipv4_address.hpp"
#include "format.hpp"
#include "output/top_ports.hpp"
#include "writer_factories.hpp"

namespace synscan::output::detail {
namespace {

void append_key(std::string& line, std::string_view key, std::string_view value, bool first = false) {
  if (!first) line += ',';
  append_json_string(line, key);
  line += ':';
  append_json_string(line, value);
}

// "banner":{outcome,text,name,product,version,extrainfo,tunnel}, "http":{status,server,title},
// "tls":{version,cipher,subject_cn,subject,issuer,alt_names[],not_before,not_after} (epoch seconds).
void append_service_objects(std::string& line, const ServiceFacts& facts) {
  line += ",\"banner\":{";
  append_key(line, "outcome", facts.outcome, true);
  append_key(line, "text", facts.banner);
  append_key(line, "name", facts.name);
  append_key(line, "product", facts.product);
  append_key(line, "version", facts.version);
  append_key(line, "extrainfo", facts.extrainfo);
  if (facts.tunnel_ssl) line += ",\"tunnel\":\"ssl\"";
  line += '}';
  if (facts.http) {
    fmt::format_to(std::back_inserter(line), ",\"http\":{{\"status\":{}", facts.http->status);
    append_key(line, "server", facts.http->server);
    append_key(line, "title", facts.http->title);
    line += '}';
  }
  if (!facts.tls) return;
  const TlsFacts& tls = *facts.tls;
  line += ",\"tls\":{";
  append_key(line, "version", tls.version, true);
  append_key(line, "cipher", tls.cipher);
  append_key(line, "subject_cn", tls.subject_cn);
  append_key(line, "subject", tls.subject);
  append_key(line, "issuer", tls.issuer);
  line += ",\"alt_names\":[";
  for (std::size_t i = 0; i < tls.alt_names.size(); ++i) {
    if (i != 0) line += ',';
    append_json_string(line, tls.alt_names[i]);
  }
  fmt::format_to(std::back_inserter(line), "],\"not_before\":{},\"not_after\":{}}}",
                 static_cast<long long>(tls.not_before), static_cast<long long>(tls.not_after));
}

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
    build_line(address, result, when);
    batch_ += line_;
    // Bounded memory on a huge pass: whole lines go out early, the rest at end_batch().
    if (batch_.size() >= kBatchBytes) write_batch();
  }

  // The same record with the service stage's objects before the closing brace.
  void port_service(std::uint32_t address, const PortResult& result, const ServiceFacts& facts,
                    std::string_view fake_open, std::time_t when) override {
    if (only_open_ && (!shown_with_open_only(result.state) || !fake_open.empty())) return;
    build_line(address, result, when);
    line_.resize(line_.size() - 2);  // "}\n"
    append_service_objects(line_, facts);
    if (!fake_open.empty()) {
      line_ += ",\"fake_open\":";
      append_json_string(line_, fake_open);
    }
    line_ += "}\n";
    batch_ += line_;
    if (batch_.size() >= kBatchBytes) write_batch();
  }

  void host(const HostResult&) override {}
  void end_batch() override { write_batch(); }
  void finish(const ScanSummary&) override { end_batch(); }

 private:
  void build_line(std::uint32_t address, const PortResult& result, std::time_t when) {
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
  }

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
