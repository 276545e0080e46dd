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

#include <charconv>
#include <string>
#include <vector>

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
    // Appended piece by piece straight into the batch: the pieces that depend only on the host,
    // the (protocol, port) or the second are formatted once and reused (a sweep writes a
    // record per unanswered probe, so this is the output thread's per-probe cost).
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
    const PortText& port = port_text(result.protocol, result.port);
    batch_ += cached_address_text_;
    batch_.append(port.text, 0, port.state_at);
    batch_ += to_string(result.state);
    batch_ += "\",\"reason\":\"";
    batch_ += to_string(result.reason);
    batch_ += "\",\"ttl\":";
    append_decimal(batch_, result.reason_ttl);
    batch_.append(port.text, port.state_at, port.time_at - port.state_at);
    batch_ += cached_time_text_;
    batch_.append(port.text, port.time_at);
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
