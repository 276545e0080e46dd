// Readers for saved scans (scan_file.hpp).
//
// The XML reader is a small hand-written pull tokenizer rather than a dependency: nmap and
// synscan XML use elements, attributes, comments, a DOCTYPE without an internal subset and
// processing instructions, nothing more. It checks what matters for a trustworthy model — tags
// are balanced, attributes are quoted, entities are known — and ignores what does not (text,
// unknown elements such as <times>, <os>, <script>). It never recurses, so no input can exhaust
// the stack, and every error carries the line it was found on.
#include "net/ipv4_address.hpp"
#include "output/scan_file.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include "format.hpp"

namespace synscan::output {
namespace {

// ------------------------------------------------------------------------------------------
// Shared field parsing
// ------------------------------------------------------------------------------------------

class Location {
 public:
  Location(const std::string& origin, std::size_t line) : origin_(origin), line_(line) {}
  [[noreturn]] void fail(const std::string& why) const {
    throw ScanFileError(where() + ": " + why);
  }
  [[nodiscard]] std::string where() const {
    return origin_ + (line_ ? ":" + std::to_string(line_) : "");
  }

 private:
  const std::string& origin_;
  std::size_t line_;
};

template <typename Number>
std::optional<Number> number_from(std::string_view text) {
  Number value{};
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

// "2.35" -> 2.35; anything else (absent, malformed, negative) -> -1, meaning unknown.
double seconds_or_unknown(std::string_view text) {
  const auto value = number_from<double>(text);
  return value && *value >= 0 ? *value : -1;
}

std::optional<Protocol> protocol_from(std::string_view text) {
  for (const Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    if (text == to_string(protocol)) return protocol;
  }
  return std::nullopt;
}

std::optional<PortState> state_from(std::string_view text) {
  for (const PortState state :
       {PortState::kOpen, PortState::kClosed, PortState::kFiltered, PortState::kOpenFiltered}) {
    if (text == to_string(state)) return state;
  }
  return std::nullopt;
}

std::optional<Reason> reason_from(std::string_view text) {
  for (std::size_t value = 0; value < kReasonCount; ++value) {
    if (text == to_string(static_cast<Reason>(value))) return static_cast<Reason>(value);
  }
  return std::nullopt;
}

std::uint16_t port_or_fail(const Location& at, std::string_view text) {
  const auto port = number_from<unsigned>(text);
  if (!port || *port > 65535) at.fail("bad port '" + std::string(text) + "'");
  return static_cast<std::uint16_t>(*port);
}

// net::Ipv4Address's rule: a leading zero is refused here as everywhere (nmap never writes one).
std::uint32_t address_or_fail(const Location& at, std::string_view text) {
  const auto address = net::Ipv4Address::parse(text);
  if (!address && text.find(':') != std::string_view::npos) {
    at.fail("IPv6 address '" + std::string(text) + "': synscan reads IPv4 results only");
  }
  if (!address) {
    at.fail("bad IPv4 address '" + std::string(text) + "': " + net::ipv4_problem(text));
  }
  return address->value();
}

PortState state_or_fail(const Location& at, std::string_view text) {
  const auto state = state_from(text);
  if (!state) at.fail("unknown port state '" + std::string(text) + "'");
  return *state;
}

std::uint8_t ttl_or_fail(const Location& at, std::string_view text) {
  if (text.empty()) return 0;
  const auto ttl = number_from<unsigned>(text);
  if (!ttl || *ttl > 255) at.fail("bad TTL '" + std::string(text) + "'");
  return static_cast<std::uint8_t>(*ttl);
}

// Non-negative integers: times and counts. "" (attribute absent) is 0.
std::uint64_t count_or_fail(const Location& at, std::string_view text, const char* what) {
  if (text.empty()) return 0;
  const auto value = number_from<std::uint64_t>(text);
  if (!value || *value > static_cast<std::uint64_t>(INT64_MAX)) {
    at.fail(std::string("bad ") + what + " '" + std::string(text) + "'");
  }
  return *value;
}

std::time_t time_or_fail(const Location& at, std::string_view text) {
  return static_cast<std::time_t>(count_or_fail(at, text, "time"));
}

ScannedPort make_port(std::uint16_t port, Protocol protocol, PortState state,
                      std::string_view reason_text, std::uint8_t ttl) {
  ScannedPort scanned;
  scanned.result.port = port;
  scanned.result.protocol = protocol;
  scanned.result.state = state;
  scanned.result.reason = reason_from(reason_text).value_or(inferred_reason(protocol, state));
  scanned.result.reason_ttl = ttl;
  scanned.reason_text = std::string(reason_text);
  return scanned;
}

void widen_times(std::time_t& start, std::time_t& end, std::time_t when) {
  if (when == 0) return;
  start = start ? std::min(start, when) : when;
  end = std::max(end, when);
}

// Sorts ports, settles duplicates, and fills host and scan times from the records.
void finish_model(ScanModel& model) {
  for (auto& [address, host] : model.hosts) {
    normalise_ports(host, model.origin, model.warnings);
    for (ScannedPort& port : host.ports) {
      if (port.time == 0) port.time = host.end_time;
      widen_times(host.start_time, host.end_time, port.time);
    }
    widen_times(model.start_time, model.end_time, host.start_time);
    widen_times(model.start_time, model.end_time, host.end_time);
  }
}

// ------------------------------------------------------------------------------------------
// JSON lines: one flat object per line, as json_lines_writer.cpp writes it.
// ------------------------------------------------------------------------------------------

// Parses one flat JSON object (string, number, true/false/null values); synscan's records need
// no nesting, and nested values are rejected rather than guessed at.
class JsonObjectParser {
 public:
  JsonObjectParser(std::string_view line, const Location& at) : line_(line), at_(at) {}

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
          at_.fail("malformed JSON lines record: nested value for '" + key + "'");
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
  std::size_t position_ = 0;
};

void parse_json_lines(std::string_view text, ScanModel& model) {
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
    ScannedHost& host = model.hosts[address];
    host.address = address;
    host.up = host.up || port.result.reason != Reason::kNoResponse;
    widen_times(host.start_time, host.end_time, port.time);
    host.ports.push_back(std::move(port));
  }
  model.scanner = "synscan";
}

// ------------------------------------------------------------------------------------------
// XML
// ------------------------------------------------------------------------------------------

struct XmlTag {
  enum class Kind : std::uint8_t { kStart, kEnd, kEmpty } kind = Kind::kStart;
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::size_t line = 0;

  [[nodiscard]] std::optional<std::string_view> attribute(std::string_view key) const {
    for (const auto& [attribute_name, value] : attributes) {
      if (attribute_name == key) return std::string_view(value);
    }
    return std::nullopt;
  }
  [[nodiscard]] std::string_view attribute_or(std::string_view key,
                                              std::string_view fallback) const {
    return attribute(key).value_or(fallback);
  }
};

// Pull tokenizer: next() returns the next start/end/empty-element tag, skipping text, comments,
// processing instructions, CDATA and the DOCTYPE; it keeps the element stack balanced.
class XmlTokenizer {
 public:
  XmlTokenizer(std::string_view text, const std::string& origin) : text_(text), origin_(origin) {}

  std::optional<XmlTag> next() {
    while (true) {
      const std::size_t open = text_.find('<', position_);
      advance_to(open == std::string_view::npos ? text_.size() : open);
      if (open == std::string_view::npos) {
        if (!open_elements_.empty()) fail("unterminated <" + open_elements_.back() + ">");
        if (!seen_root_) fail("no XML elements");
        return std::nullopt;
      }
      if (starts_with("<!--")) {
        skip_past("-->", "unterminated comment");
      } else if (starts_with("<?")) {
        skip_past("?>", "unterminated processing instruction");
      } else if (starts_with("<![CDATA[")) {
        skip_past("]]>", "unterminated CDATA section");
      } else if (starts_with("<!")) {
        // <!DOCTYPE nmaprun>; an internal subset ([...]) would allow entity tricks: refuse it.
        const std::size_t close = text_.find('>', position_);
        if (close == std::string_view::npos) fail("unterminated declaration");
        if (text_.substr(position_, close - position_).find('[') != std::string_view::npos) {
          fail("DOCTYPE internal subsets are not supported");
        }
        advance_to(close + 1);
      } else {
        return tag();
      }
    }
  }

  [[noreturn]] void fail(const std::string& why) const { Location(origin_, line_).fail(why); }

 private:
  bool starts_with(std::string_view prefix) const {
    return text_.substr(position_, prefix.size()) == prefix;
  }
  void advance_to(std::size_t position) {
    line_ += static_cast<std::size_t>(
        std::count(text_.begin() + static_cast<std::ptrdiff_t>(position_),
                   text_.begin() + static_cast<std::ptrdiff_t>(position), '\n'));
    position_ = position;
  }
  void skip_past(std::string_view terminator, const char* error) {
    const std::size_t end = text_.find(terminator, position_);
    if (end == std::string_view::npos) fail(error);
    advance_to(end + terminator.size());
  }
  static bool is_name_char(char character) {
    return std::isalnum(static_cast<unsigned char>(character)) != 0 ||
           std::strchr("_-.:", character) != nullptr;
  }
  static bool is_space(char character) {
    return character != '\0' && std::strchr(" \t\r\n", character) != nullptr;
  }

  std::string name_at(std::size_t& position) const {
    const std::size_t start = position;
    while (position < text_.size() && is_name_char(text_[position])) ++position;
    if (position == start) fail("malformed tag");
    return std::string(text_.substr(start, position - start));
  }

  std::string decoded(std::string_view raw) const {
    std::string value;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        value += raw[i];
        continue;
      }
      const std::size_t semicolon = raw.find(';', i);
      if (semicolon == std::string_view::npos || semicolon - i > 10) fail("bad entity reference");
      const std::string_view entity = raw.substr(i + 1, semicolon - i - 1);
      static constexpr std::pair<std::string_view, char> kNamed[] = {
          {"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
      bool known = false;
      for (const auto& [name, character] : kNamed) {
        if (entity == name) {
          value += character;
          known = true;
        }
      }
      if (!known && entity.size() > 1 && entity[0] == '#') {
        const bool hex = entity[1] == 'x' || entity[1] == 'X';
        const std::string_view digits = entity.substr(hex ? 2 : 1);
        unsigned code = 0;
        const auto [stop, error] =
            std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
        if (digits.empty() || error != std::errc() || stop != digits.data() + digits.size()) {
          fail("bad character reference '&" + std::string(entity) + ";'");
        }
        append_utf8(value, code);
        known = true;
      }
      if (!known) fail("unknown entity '&" + std::string(entity) + ";'");
      i = semicolon;
    }
    return value;
  }

  void append_utf8(std::string& out, unsigned code) const {
    if (code == 0 || code > 0x10FFFF) fail("bad character reference");
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  XmlTag tag() {
    XmlTag tag;
    tag.line = line_;
    std::size_t position = position_ + 1;
    if (position < text_.size() && text_[position] == '/') {
      tag.kind = XmlTag::Kind::kEnd;
      ++position;
    }
    tag.name = name_at(position);
    while (true) {
      while (position < text_.size() && is_space(text_[position])) ++position;
      if (position >= text_.size()) fail("unterminated <" + tag.name + ">");
      if (text_[position] == '>') {
        ++position;
        break;
      }
      if (text_[position] == '/' && tag.kind == XmlTag::Kind::kStart &&
          position + 1 < text_.size() && text_[position + 1] == '>') {
        tag.kind = XmlTag::Kind::kEmpty;
        position += 2;
        break;
      }
      if (tag.kind == XmlTag::Kind::kEnd) fail("malformed </" + tag.name + ">");
      std::string key = name_at(position);
      while (position < text_.size() && is_space(text_[position])) ++position;
      if (position >= text_.size() || text_[position] != '=') {
        fail("attribute '" + key + "' of <" + tag.name + "> has no value");
      }
      ++position;
      while (position < text_.size() && is_space(text_[position])) ++position;
      if (position >= text_.size() || (text_[position] != '"' && text_[position] != '\'')) {
        fail("attribute '" + key + "' of <" + tag.name + "> is not quoted");
      }
      const char quote = text_[position];
      const std::size_t close = text_.find(quote, position + 1);
      if (close == std::string_view::npos) fail("unterminated attribute '" + key + "'");
      const std::string_view raw = text_.substr(position + 1, close - position - 1);
      if (raw.find('<') != std::string_view::npos) fail("'<' in attribute '" + key + "'");
      tag.attributes.emplace_back(std::move(key), decoded(raw));
      position = close + 1;
    }
    advance_to(position);

    switch (tag.kind) {
      case XmlTag::Kind::kStart:
      case XmlTag::Kind::kEmpty:
        if (open_elements_.empty() && seen_root_) fail("more than one root element");
        seen_root_ = true;
        if (tag.kind == XmlTag::Kind::kStart) open_elements_.push_back(tag.name);
        break;
      case XmlTag::Kind::kEnd:
        if (open_elements_.empty() || open_elements_.back() != tag.name) {
          fail("</" + tag.name + "> does not close " +
               (open_elements_.empty() ? std::string("anything")
                                       : "<" + open_elements_.back() + ">"));
        }
        open_elements_.pop_back();
        break;
    }
    return tag;
  }

  std::string_view text_;
  const std::string& origin_;
  std::size_t position_ = 0;
  std::size_t line_ = 1;
  std::vector<std::string> open_elements_;
  bool seen_root_ = false;
};

// nmap's port list spelling "22,80,8000-8100" (T:/U: prefixes tolerated).
std::vector<std::uint16_t> port_list(const Location& at, std::string_view text) {
  std::vector<std::uint16_t> ports;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    if (item.size() > 2 && item[1] == ':') item.remove_prefix(2);
    const std::size_t dash = item.find('-');
    const std::uint16_t first = port_or_fail(at, item.substr(0, dash));
    const std::uint16_t last =
        dash == std::string_view::npos ? first : port_or_fail(at, item.substr(dash + 1));
    if (last < first) at.fail("bad port range '" + std::string(item) + "'");
    for (unsigned port = first; port <= last; ++port) {
      ports.push_back(static_cast<std::uint16_t>(port));
    }
  }
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

// Walks the tags of one nmaprun document and fills the model. Elements it does not know
// (<times>, <os>, <script>, <hostnames>, ...) are skipped; the tokenizer still checks them.
class XmlScanReader {
 public:
  explicit XmlScanReader(ScanModel& model) : model_(model) {}

  void read(std::string_view text) {
    XmlTokenizer tokens(text, model_.origin);
    while (const auto tag = tokens.next()) visit(*tag);
    if (!seen_nmaprun_) Location(model_.origin, 0).fail("not nmap or synscan XML (no <nmaprun>)");
    for (auto* ports : {&model_.scanned_tcp_ports, &model_.scanned_udp_ports}) {
      std::sort(ports->begin(), ports->end());
      ports->erase(std::unique(ports->begin(), ports->end()), ports->end());
    }
  }

 private:
  void visit(const XmlTag& tag) {
    const Location at(model_.origin, tag.line);
    const bool opening = tag.kind != XmlTag::Kind::kEnd;
    const std::string& name = tag.name;
    if (!seen_nmaprun_) {
      if (name != "nmaprun" || !opening) at.fail("not nmap or synscan XML (no <nmaprun>)");
      seen_nmaprun_ = true;
      model_.scanner = std::string(tag.attribute_or("scanner", ""));
      model_.scanner_version = std::string(tag.attribute_or("version", ""));
      model_.command_line = std::string(tag.attribute_or("args", ""));
      if (model_.command_line.rfind("synscan", 0) == 0) model_.scanner = "synscan";
      model_.start_time = time_or_fail(at, tag.attribute_or("start", ""));
      return;
    }
    if (name == "host") return opening ? open_host(tag, at) : close_host(at);
    if (!host_) return visit_outside_host(tag, at);
    if (name == "status" && opening) {
      host_has_status_ = true;
      host_->up = tag.attribute_or("state", "") == "up";
    } else if (name == "address" && opening) {
      visit_address(tag, at);
    } else if (name == "port") {
      visit_port(tag, at);
    } else if (name == "state" && opening && port_) {
      const PortState state = state_or_fail(at, tag.attribute_or("state", ""));
      port_has_state_ = true;
      ScannedPort parsed = make_port(port_->result.port, port_->result.protocol, state,
                                     tag.attribute_or("reason", ""),
                                     ttl_or_fail(at, tag.attribute_or("reason_ttl", "")));
      parsed.service = std::move(port_->service);
      *port_ = std::move(parsed);
    } else if (name == "service" && opening && port_) {
      port_->service = std::string(tag.attribute_or("name", ""));
    } else if (name == "extraports" || name == "extrareasons") {
      visit_extraports(tag, at);
    }
  }

  void visit_outside_host(const XmlTag& tag, const Location& at) {
    if (tag.kind == XmlTag::Kind::kEnd) return;
    if (tag.name == "scaninfo") {
      const std::vector<std::uint16_t> ports = port_list(at, tag.attribute_or("services", ""));
      const std::string_view protocol = tag.attribute_or("protocol", "tcp");
      auto* into = protocol == "tcp"   ? &model_.scanned_tcp_ports
                   : protocol == "udp" ? &model_.scanned_udp_ports
                                       : nullptr;
      if (into) into->insert(into->end(), ports.begin(), ports.end());
    } else if (tag.name == "finished") {
      model_.end_time = time_or_fail(at, tag.attribute_or("time", ""));
      // A summary without "scanned in" (synscan convert's "run time not recorded") marks the
      // DTD-required elapsed as a placeholder.
      const std::string_view summary = tag.attribute_or("summary", " scanned in ");
      model_.elapsed_seconds = summary.find(" scanned in ") == std::string_view::npos
                                   ? -1
                                   : seconds_or_unknown(tag.attribute_or("elapsed", ""));
    } else if (tag.name == "hosts") {
      model_.hosts_total = count_or_fail(at, tag.attribute_or("total", ""), "host count");
    } else if (tag.name == "port" || tag.name == "address" || tag.name == "extraports") {
      at.fail("<" + tag.name + "> outside <host>");
    }
  }

  void open_host(const XmlTag& tag, const Location& at) {
    if (host_) at.fail("<host> inside <host>");
    host_.emplace();
    host_has_status_ = false;
    host_skipped_ = false;
    host_->start_time = time_or_fail(at, tag.attribute_or("starttime", ""));
    host_->end_time = time_or_fail(at, tag.attribute_or("endtime", ""));
    if (tag.kind == XmlTag::Kind::kEmpty) host_.reset();
  }

  void close_host(const Location& at) {
    if (!host_) at.fail("</host> without <host>");
    if (!host_has_address_ && !host_skipped_) {
      model_.warnings.push_back(at.where() + ": host without an IPv4 address skipped");
      host_skipped_ = true;
    }
    if (!host_skipped_) {
      if (!host_has_status_) {
        host_->up = std::any_of(
            host_->ports.begin(), host_->ports.end(),
            [](const ScannedPort& port) { return port.result.reason != Reason::kNoResponse; });
      }
      auto [existing, inserted] = model_.hosts.try_emplace(host_->address, std::move(*host_));
      if (!inserted) {
        // Several <host> elements for one address (masscan writes one per port): one host.
        ScannedHost& into = existing->second;
        into.up = into.up || host_->up;
        into.ports.insert(into.ports.end(), std::make_move_iterator(host_->ports.begin()),
                          std::make_move_iterator(host_->ports.end()));
        into.collapsed.insert(into.collapsed.end(), host_->collapsed.begin(),
                              host_->collapsed.end());
        widen_times(into.start_time, into.end_time, host_->start_time);
        widen_times(into.start_time, into.end_time, host_->end_time);
      }
    }
    host_.reset();
    host_has_address_ = false;
  }

  void visit_address(const XmlTag& tag, const Location& at) {
    const std::string_view type = tag.attribute_or("addrtype", "ipv4");
    if (type == "ipv4") {
      host_->address = address_or_fail(at, tag.attribute_or("addr", ""));
      host_has_address_ = true;
    } else if (type == "ipv6" && !host_has_address_ && !host_skipped_) {
      host_skipped_ = true;
      model_.warnings.push_back(at.where() + ": IPv6 host " +
                                std::string(tag.attribute_or("addr", "")) +
                                " skipped (synscan reads IPv4 results only)");
    }
  }

  void visit_port(const XmlTag& tag, const Location& at) {
    if (tag.kind == XmlTag::Kind::kEmpty) at.fail("<port> without <state>");
    if (tag.kind == XmlTag::Kind::kStart) {
      if (port_) at.fail("<port> inside <port>");
      const std::string_view protocol_text = tag.attribute_or("protocol", "");
      const auto protocol = protocol_from(protocol_text);
      port_skipped_ = !protocol;
      port_has_state_ = false;
      port_.emplace();
      port_->result.port = port_or_fail(at, tag.attribute_or("portid", ""));
      port_->result.protocol = protocol.value_or(Protocol::kTcp);
      if (port_skipped_) {
        model_.warnings.push_back(at.where() + ": " + std::string(protocol_text) + " port " +
                                  std::to_string(port_->result.port) + " skipped");
      }
      return;
    }
    if (!port_) at.fail("</port> without <port>");
    if (!port_has_state_) at.fail("<port> without <state>");
    if (!port_skipped_) {
      if (!port_->time) port_->time = host_->end_time;
      host_->ports.push_back(std::move(*port_));
    }
    port_.reset();
  }

  void visit_extraports(const XmlTag& tag, const Location& at) {
    if (tag.name == "extraports" && tag.kind != XmlTag::Kind::kEnd) {
      extraports_state_ = state_or_fail(at, tag.attribute_or("state", ""));
      extraports_count_ = count_or_fail(at, tag.attribute_or("count", ""), "port count");
      extraports_expanded_ = 0;
      if (tag.kind == XmlTag::Kind::kEmpty) close_extraports();
    } else if (tag.name == "extraports") {
      if (!extraports_state_) at.fail("</extraports> without <extraports>");
      close_extraports();
    } else if (tag.kind != XmlTag::Kind::kEnd && extraports_state_) {
      // <extrareasons>: nmap 7.x and synscan list the ports of each reason group; expand them
      // into records (reason known, TTL not: 0). Older nmap gives only counts.
      const auto ports = tag.attribute("ports");
      const auto protocol = protocol_from(tag.attribute_or("proto", ""));
      if (!ports || !protocol) return;
      for (const std::uint16_t number : port_list(at, *ports)) {
        ScannedPort expanded =
            make_port(number, *protocol, *extraports_state_, tag.attribute_or("reason", ""), 0);
        expanded.time = host_->end_time;
        host_->ports.push_back(std::move(expanded));
        ++extraports_expanded_;
      }
    }
  }

  void close_extraports() {
    if (extraports_expanded_ < extraports_count_) {
      host_->collapsed.push_back({*extraports_state_, extraports_count_ - extraports_expanded_});
    }
    extraports_state_.reset();
  }

  ScanModel& model_;
  bool seen_nmaprun_ = false;
  std::optional<ScannedHost> host_;
  bool host_has_status_ = false;
  bool host_has_address_ = false;
  bool host_skipped_ = false;  // IPv6 or MAC-only host: not synscan's to model
  std::optional<ScannedPort> port_;
  bool port_skipped_ = false;  // a protocol synscan does not scan (sctp, ip)
  bool port_has_state_ = false;
  std::optional<PortState> extraports_state_;
  std::uint64_t extraports_count_ = 0;
  std::uint64_t extraports_expanded_ = 0;
};

// ------------------------------------------------------------------------------------------
// Greppable (best effort): "Host: ADDR (NAME)\tStatus: Up" and
// "Host: ADDR (NAME)\tPorts: 22/open/tcp//ssh///, ...\tIgnored State: closed (997)".
// It has no reasons and no TTLs; reasons are inferred from the states.
// ------------------------------------------------------------------------------------------

std::vector<std::string_view> split(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + separator.size());
  }
}

// "Wed Nov 25 03:57:44 2026" (local time, as the writers print it) -> epoch seconds; 0 if not.
std::time_t ctime_value(std::string_view text) {
  std::tm parsed{};
  const std::string copy(text);
  if (::strptime(copy.c_str(), "%a %b %d %H:%M:%S %Y", &parsed) == nullptr) return 0;
  parsed.tm_isdst = -1;
  const std::time_t value = std::mktime(&parsed);
  return value < 0 ? 0 : value;
}

void parse_greppable_comment(std::string_view line, ScanModel& model) {
  // "# Nmap 7.93 scan initiated DATE as: ARGS" / "# synscan 0.1.0 scan initiated ..."
  constexpr std::string_view kInitiated = " scan initiated ";
  constexpr std::string_view kAs = " as: ";
  if (const std::size_t initiated = line.find(kInitiated); initiated != std::string_view::npos) {
    const std::vector<std::string_view> words = split(line.substr(2, initiated - 2), " ");
    if (words.size() == 2) {
      model.scanner = words[0] == "Nmap" ? "nmap" : std::string(words[0]);
      model.scanner_version = std::string(words[1]);
    }
    const std::size_t as = line.find(kAs, initiated);
    const std::size_t date = initiated + kInitiated.size();
    model.start_time =
        ctime_value(line.substr(date, as == std::string_view::npos ? line.npos : as - date));
    if (as != std::string_view::npos)
      model.command_line = std::string(line.substr(as + kAs.size()));
    return;
  }
  // "# Nmap done at DATE -- 256 IP addresses (3 hosts up) scanned in 2.35 seconds"
  constexpr std::string_view kDone = " done at ";
  constexpr std::string_view kScannedIn = " scanned in ";
  const std::size_t done = line.find(kDone);
  if (done == std::string_view::npos) return;
  const std::size_t dashes = line.find(" -- ", done);
  if (dashes == std::string_view::npos) return;
  const std::size_t date = done + kDone.size();
  model.end_time = ctime_value(line.substr(date, dashes - date));
  const std::string_view counts = line.substr(dashes + 4);
  model.hosts_total = number_from<std::uint64_t>(counts.substr(0, counts.find(' '))).value_or(0);
  if (const std::size_t scanned = counts.find(kScannedIn); scanned != std::string_view::npos) {
    const std::string_view seconds = counts.substr(scanned + kScannedIn.size());
    model.elapsed_seconds = seconds_or_unknown(seconds.substr(0, seconds.find(' ')));
  }
}

void parse_greppable_ports(std::string_view field, const Location& at, ScannedHost& host,
                           ScanModel& model) {
  // Entries are ", "-separated; a ", " inside a version field is glued back on.
  std::vector<std::string> entries;
  for (const std::string_view piece : split(field, ", ")) {
    const bool starts_entry = !piece.empty() &&
                              std::isdigit(static_cast<unsigned char>(piece[0])) != 0 &&
                              piece.find('/') != std::string_view::npos;
    if (starts_entry || entries.empty()) {
      entries.emplace_back(piece);
    } else {
      entries.back().append(", ").append(piece);
    }
  }
  for (const std::string& entry : entries) {
    const std::vector<std::string_view> parts = split(entry, "/");
    if (parts.size() < 5) at.fail("bad port entry '" + entry + "'");
    const auto protocol = protocol_from(parts[2]);
    if (!protocol) {
      model.warnings.push_back(at.where() + ": " + std::string(parts[2]) + " port skipped");
      continue;
    }
    const PortState state = state_or_fail(at, parts[1]);
    ScannedPort port = make_port(port_or_fail(at, parts[0]), *protocol, state, "", 0);
    port.service = std::string(parts[4]);
    host.ports.push_back(std::move(port));
  }
}

void parse_greppable(std::string_view text, ScanModel& model) {
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("# ", 0) == 0) {
      parse_greppable_comment(line, model);
      continue;
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const Location at(model.origin, number);
    if (line.rfind("Host: ", 0) != 0) at.fail("not a greppable record (expected 'Host: ')");
    const std::vector<std::string_view> fields = split(line, "\t");
    const std::string_view host_field = fields[0].substr(6);
    const std::uint32_t address = address_or_fail(at, host_field.substr(0, host_field.find(' ')));
    ScannedHost& host = model.hosts[address];
    host.address = address;
    for (std::size_t i = 1; i < fields.size(); ++i) {
      const std::string_view field = fields[i];
      if (field.rfind("Status: ", 0) == 0) {
        host.up = field.substr(8) == "Up";
      } else if (field.rfind("Ports: ", 0) == 0) {
        host.up = true;
        parse_greppable_ports(field.substr(7), at, host, model);
      } else if (field.rfind("Ignored State: ", 0) == 0) {
        // "closed (997)"
        const std::string_view rest = field.substr(15);
        const std::size_t paren = rest.find(" (");
        const PortState state = state_or_fail(at, rest.substr(0, paren));
        std::string_view count = paren == std::string_view::npos ? "" : rest.substr(paren + 2);
        if (!count.empty() && count.back() == ')') count.remove_suffix(1);
        const auto value = number_from<std::uint64_t>(count);
        if (!value) at.fail("bad Ignored State count in '" + std::string(rest) + "'");
        host.collapsed.push_back({state, *value});
      }
    }
  }
  if (model.hosts.empty() && model.command_line.empty()) {
    Location(model.origin, 0).fail("no greppable records");
  }
}

}  // namespace

const char* to_string(ScanFileFormat format) noexcept {
  switch (format) {
    case ScanFileFormat::kJsonLines:
      return "JSON lines";
    case ScanFileFormat::kXml:
      return "XML";
    case ScanFileFormat::kGreppable:
      return "greppable";
  }
  return "unknown";
}

std::uint64_t ScanModel::hosts_up() const noexcept {
  return static_cast<std::uint64_t>(
      std::count_if(hosts.begin(), hosts.end(), [](const auto& entry) { return entry.second.up; }));
}

Reason inferred_reason(Protocol protocol, PortState state) noexcept {
  switch (state) {
    case PortState::kOpen:
      return protocol == Protocol::kTcp ? Reason::kSynAck : Reason::kUdpResponse;
    case PortState::kClosed:
      return protocol == Protocol::kTcp ? Reason::kReset : Reason::kPortUnreach;
    case PortState::kFiltered:
    case PortState::kOpenFiltered:
      return Reason::kNoResponse;
  }
  return Reason::kNoResponse;
}

bool more_informative(const PortResult& candidate, const PortResult& kept) noexcept {
  // Rank: open > closed > filtered by an ICMP reply > no reply at all.
  const auto rank = [](const PortResult& result) {
    if (result.reason == Reason::kNoResponse) return 0;
    if (result.state == PortState::kOpen) return 3;
    if (result.state == PortState::kClosed) return 2;
    return 1;
  };
  return rank(candidate) > rank(kept);
}

void normalise_ports(ScannedHost& host, const std::string& origin,
                     std::vector<std::string>& warnings) {
  std::stable_sort(host.ports.begin(), host.ports.end(),
                   [](const ScannedPort& left, const ScannedPort& right) {
                     return std::pair(left.result.protocol, left.result.port) <
                            std::pair(right.result.protocol, right.result.port);
                   });
  std::vector<ScannedPort> unique;
  unique.reserve(host.ports.size());
  for (ScannedPort& port : host.ports) {
    if (unique.empty() || unique.back().result.protocol != port.result.protocol ||
        unique.back().result.port != port.result.port) {
      unique.push_back(std::move(port));
      continue;
    }
    ScannedPort& kept = unique.back();
    if (kept.result.state != port.result.state || kept.result.reason != port.result.reason) {
      const bool replace = more_informative(port.result, kept.result);
      const PortResult& winner = replace ? port.result : kept.result;
      warnings.push_back(origin + ": " + net::Ipv4Address(host.address).to_string() + " " +
                         std::to_string(port.result.port) + "/" + to_string(port.result.protocol) +
                         " is both " + to_string(kept.result.state) + " (" +
                         to_string(kept.result.reason) + ") and " + to_string(port.result.state) +
                         " (" + to_string(port.result.reason) + "); keeping " +
                         to_string(winner.state) + " (" + to_string(winner.reason) + ")");
      if (replace) kept = std::move(port);
    } else if (kept.service.empty()) {
      kept.service = std::move(port.service);
    }
  }
  host.ports = std::move(unique);
}

ScanFileFormat detect_scan_format(std::string_view text, const std::string& origin) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) Location(origin, 0).fail("empty scan file");
  const std::string_view start = text.substr(first);
  if (start.front() == '{') return ScanFileFormat::kJsonLines;
  if (start.front() == '<') return ScanFileFormat::kXml;
  if (start.rfind("Host: ", 0) == 0 || start.rfind("# Nmap ", 0) == 0 ||
      start.rfind("# synscan ", 0) == 0) {
    return ScanFileFormat::kGreppable;
  }
  Location(origin, 0).fail(
      "not a scan file synscan can read (expected synscan JSON lines, nmap/synscan XML or "
      "nmap greppable)");
}

ScanModel parse_scan(std::string_view text, const std::string& origin) {
  ScanModel model;
  model.origin = origin;
  model.format = detect_scan_format(text, origin);
  if (text.find('\0') != std::string_view::npos) {
    Location(origin, 0).fail("binary data (NUL byte) in a text scan file");
  }
  switch (model.format) {
    case ScanFileFormat::kJsonLines:
      parse_json_lines(text, model);
      break;
    case ScanFileFormat::kXml:
      XmlScanReader(model).read(text);
      break;
    case ScanFileFormat::kGreppable:
      parse_greppable(text, model);
      break;
  }
  finish_model(model);
  return model;
}

ScanModel read_scan_file(const std::string& path) {
  std::ostringstream contents;
  if (path == "-") {
    contents << std::cin.rdbuf();
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw ScanFileError("cannot read scan file '" + path + "'");
    contents << file.rdbuf();
    if (file.bad()) throw ScanFileError("cannot read scan file '" + path + "'");
  }
  return parse_scan(contents.str(), path == "-" ? std::string("stdin") : path);
}

}  // namespace synscan::output
