// The JSON lines reader (-oJ, lossless): one flat object per line, as json_lines_writer.cpp
// writes it.
#include <charconv>
#include <cstring>
#include <map>
#include <string>

#include "scan_file_fields.hpp"

namespace synscan::output::detail {
namespace {

// Parses one JSON object (string, number, true/false/null values); a nested object or array
// (--banners' "banner", "http", "tls") is kept as its raw text under its key.
class JsonObjectParser {
 public:
  /// `nested_anywhere`: any key may hold an object or array (inside --banners' objects).
  JsonObjectParser(std::string_view line, const Location& at, bool nested_anywhere = false)
      : line_(line), at_(at), nested_anywhere_(nested_anywhere) {}

  std::map<std::string, std::string> parse() {
    std::map<std::string, std::string> fields;
    expect('{');
    skip_space();
    if (peek() == '}') {
      ++position_;
    } else {
      while (true) {
        std::string key = string_value();
        expect(':');
        skip_space();
        std::string value;
        if (peek() == '"') {
          value = string_value();
        } else if (peek() == '{' || peek() == '[') {
          // --banners' objects are kept as their text; anywhere else nesting is not synscan's.
          if (!nested_anywhere_ && key != "banner" && key != "http" && key != "tls") {
            at_.fail("malformed JSON lines record: nested value for '" + key + "'");
          }
          value = nested_text();
        } else {
          const std::size_t stop = line_.find_first_of(",} \t\r", position_);
          value = std::string(line_.substr(position_, stop - position_));
          if (value.empty())
            at_.fail("malformed JSON lines record: missing value for '" + key + "'");
          position_ = stop == std::string_view::npos ? line_.size() : stop;
        }
        fields.insert_or_assign(std::move(key), std::move(value));
        skip_space();
        if (peek() == ',') {
          ++position_;
          continue;
        }
        expect('}');
        break;
      }
    }
    skip_space();
    if (position_ != line_.size()) at_.fail("malformed JSON lines record: text after the object");
    return fields;
  }

 private:
  char peek() const { return position_ < line_.size() ? line_[position_] : '\0'; }
  void skip_space() {
    while (position_ < line_.size() && std::strchr(" \t\r", line_[position_]) != nullptr) {
      ++position_;
    }
  }
  void expect(char wanted) {
    skip_space();
    if (position_ >= line_.size() || line_[position_] != wanted) {
      at_.fail(std::string("malformed JSON lines record: expected '") + wanted + "'");
    }
    ++position_;
  }
  // A nested object or array, returned as its raw text; brackets inside strings do not count.
  // Depth is bounded: the reader has no recursion and no input may exhaust the stack or memory.
  std::string nested_text() {
    const std::size_t start = position_;
    std::size_t depth = 0;
    bool in_string = false;
    while (position_ < line_.size()) {
      const char character = line_[position_++];
      if (in_string) {
        if (character == '\\') ++position_;
        else if (character == '"') in_string = false;
        continue;
      }
      if (character == '"') in_string = true;
      else if (character == '{' || character == '[') ++depth;
      else if ((character == '}' || character == ']') && --depth == 0) {
        return std::string(line_.substr(start, position_ - start));
      }
      if (depth > 16) at_.fail("malformed JSON lines record: nesting too deep");
    }
    at_.fail("malformed JSON lines record: unterminated nested value");
    return {};
  }

  std::string string_value() {
    expect('"');
    std::string value;
    while (true) {
      if (position_ >= line_.size()) at_.fail("malformed JSON lines record: unterminated string");
      const char character = line_[position_++];
      if (character == '"') return value;
      if (character != '\\') {
        value += character;
        continue;
      }
      if (position_ >= line_.size()) at_.fail("malformed JSON lines record: bad escape");
      const char escaped = line_[position_++];
      switch (escaped) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case 'u': {
          unsigned code = 0;
          const char* digits = line_.data() + position_;
          if (position_ + 4 > line_.size() ||
              std::from_chars(digits, digits + 4, code, 16).ptr != digits + 4) {
            at_.fail("malformed JSON lines record: bad \\u escape");
          }
          position_ += 4;
          // Names and reasons are ASCII; other code points become '?' rather than being decoded.
          value += code < 0x80 ? static_cast<char>(code) : '?';
          break;
        }
        default:
          value += escaped;  // \" \\ \/
      }
    }
  }

  std::string_view line_;
  const Location& at_;
  bool nested_anywhere_ = false;
  std::size_t position_ = 0;
};

// --banners' objects: product and version from "banner", the certificate's commonName and
// expiry from "tls" (the rest is not modelled).
void read_service_objects(const std::map<std::string, std::string>& fields, const Location& at, ScannedPort& port) {
  if (const auto banner = fields.find("banner"); banner != fields.end()) {
    const auto object = JsonObjectParser(banner->second, at, true).parse();
    if (const auto product = object.find("product"); product != object.end()) port.product = product->second;
    if (const auto version = object.find("version"); version != object.end()) port.version = version->second;
  }
  if (const auto tls = fields.find("tls"); tls != fields.end()) {
    const auto object = JsonObjectParser(tls->second, at, true).parse();
    if (const auto cn = object.find("subject_cn"); cn != object.end()) port.certificate_cn = cn->second;
    if (const auto expiry = object.find("not_after"); expiry != object.end()) {
      port.certificate_not_after = time_or_fail(at, expiry->second);
    }
  }
}

}  // namespace

void read_json_lines(std::string_view text, ScanModel& model) {
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const Location at(model.origin, number);
    const auto fields = JsonObjectParser(line, at).parse();
    const auto field = [&](const char* key) -> const std::string& {
      const auto found = fields.find(key);
      if (found == fields.end()) at.fail(std::string("record has no \"") + key + "\"");
      return found->second;
    };
    const std::uint32_t address = address_or_fail(at, field("ip"));
    const auto protocol = protocol_from(field("proto"));
    if (!protocol) at.fail("unknown protocol '" + field("proto") + "'");
    const PortState state = state_or_fail(at, field("state"));
    const auto ttl = fields.find("ttl");
    ScannedPort port = make_port(port_or_fail(at, field("port")), *protocol, state, field("reason"),
                                 ttl_or_fail(at, ttl == fields.end() ? "" : ttl->second));
    if (const auto service = fields.find("service"); service != fields.end()) {
      port.service = service->second == "null" ? "" : service->second;
    }
    if (const auto time = fields.find("time"); time != fields.end()) {
      port.time = time_or_fail(at, time->second);
    }
    read_service_objects(fields, at, port);
    ScannedHost& host = model.hosts[address];
    host.address = address;
    host.up = host.up || port.result.reason != Reason::kNoResponse;
    widen_times(host.start_time, host.end_time, port.time);
    host.ports.push_back(std::move(port));
  }
  model.scanner = "synscan";
}

}  // namespace synscan::output::detail
