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

#include <charconv>
#include <string>
#include <vector>

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
    append_record(address, result, when);
    // Bounded memory on a huge pass: whole lines go out early, the rest at end_batch().
    if (batch_.size() >= kBatchBytes) write_batch();
  }

  // The same record with the service stage's objects before the closing brace.
  void port_service(std::uint32_t address, const PortResult& result, const ServiceFacts& facts,
                    std::string_view fake_open, std::time_t when) override {
    if (only_open_ && (!shown_with_open_only(result.state) || !fake_open.empty())) return;
    append_record(address, result, when);
    batch_.resize(batch_.size() - 2);  // "}\n"
    append_service_objects(batch_, facts);
    if (!fake_open.empty()) {
      batch_ += ",\"fake_open\":";
      append_json_string(batch_, fake_open);
    }
    batch_ += "}\n";
    if (batch_.size() >= kBatchBytes) write_batch();
  }

  void host(const HostResult&) override {}
  void end_batch() override { write_batch(); }
  void finish(const ScanSummary&) override { end_batch(); }

 private:
  void append_record(std::uint32_t address, const PortResult& result, std::time_t when) {
    // Appended piece by piece straight into the batch: the pieces that depend only on the host,
    // the (protocol, port), the (state, reason) or the second are formatted once and reused (a
    // sweep writes a record per unanswered probe: this is the output thread's per-probe cost).
    if (cached_address_text_.empty() || address != cached_address_) {
      cached_address_ = address;
      cached_address_text_ = "{\"ip\":\"" + net::Ipv4Address(address).to_string() + "\",\"port\":";
    }
    if (cached_time_text_.empty() || when != cached_time_) {
      cached_time_ = when;
      cached_time_text_.clear();
      fmt::format_to(std::back_inserter(cached_time_text_), ",\"time\":{},\"category\":\"",
                     static_cast<long long>(when));
    }
    const unsigned verdict = static_cast<unsigned>(result.state) << 8 | static_cast<unsigned>(result.reason);
    if (cached_verdict_text_.empty() || verdict != cached_verdict_) {
      cached_verdict_ = verdict;
      cached_verdict_text_ = to_string(result.state);
      cached_verdict_text_ += "\",\"reason\":\"";
      cached_verdict_text_ += to_string(result.reason);
      cached_verdict_text_ += "\",\"ttl\":";
    }
    const PortText& port = port_text(result.protocol, result.port);
    batch_ += cached_address_text_;
    batch_.append(port.text, 0, port.state_at);
    batch_ += cached_verdict_text_;
    append_decimal(batch_, result.reason_ttl);
    batch_.append(port.text, port.state_at, port.time_at - port.state_at);
    batch_ += cached_time_text_;
    batch_.append(port.text, port.time_at);
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

  /// The text of a (protocol, port) around the fields that vary: `80,"proto":"tcp","state":"`,
  /// then (from state_at) `,"service":"http"`, then (from time_at) `well-known"}` and the newline.
  struct PortText {
    std::string text;
    std::uint32_t state_at = 0;
    std::uint32_t time_at = 0;
  };
  /// The lookup gives one name per (protocol, port) (writers.hpp), so its text can be kept.
  const PortText& port_text(Protocol protocol, std::uint16_t port) {
    const std::size_t key = (protocol == Protocol::kUdp ? 65536u : 0u) + port;
    if (port_slots_.empty()) port_slots_.assign(2 * 65536, 0);
    std::uint32_t& slot = port_slots_[key];
    if (slot != 0) return port_texts_[slot - 1];
    PortText& cached = port_texts_.emplace_back();
    slot = static_cast<std::uint32_t>(port_texts_.size());
    std::string& text = cached.text;
    append_decimal(text, port);
    text += ",\"proto\":\"";
    text += to_string(protocol);
    text += "\",\"state\":\"";
    cached.state_at = static_cast<std::uint32_t>(text.size());
    text += ",\"service\":";
    append_json_string(text, lookup_(protocol, port));
    cached.time_at = static_cast<std::uint32_t>(text.size());
    text += port_category(port);
    text += "\"}\n";
    return cached;
  }
  static void append_decimal(std::string& out, unsigned value) {
    char digits[10];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, end);
  }

  static constexpr std::size_t kBatchBytes = 256 * 1024;
  std::string batch_;  // whole lines not yet written; capacity kept between passes
  std::vector<PortText> port_texts_;     ///< in the order the ports first appear
  std::vector<std::uint32_t> port_slots_;  ///< (protocol, port) -> 1 + index in port_texts_; 0 = none
  std::uint32_t cached_address_ = 0;
  std::string cached_address_text_;  ///< `{"ip":"<cached_address_>","port":`
  unsigned cached_verdict_ = 0;
  std::string cached_verdict_text_;  ///< `<state>","reason":"<reason>","ttl":`
  std::time_t cached_time_ = 0;
  std::string cached_time_text_;  ///< `,"time":<cached_time_>,"category":"`
  bool only_open_ = false;
};

}  // namespace

std::unique_ptr<ResultWriter> make_json_lines_writer(std::unique_ptr<OutputFile> file,
                                                     ServiceLookup lookup) {
  return std::make_unique<JsonLinesWriter>(std::move(file), std::move(lookup));
}

}  // namespace synscan::output::detail
