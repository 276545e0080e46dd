// The XML reader: synscan's and nmap's -oX (nmap -sS / -sU output included, <extraports> too).
// It walks the tags of xml_tokenizer.hpp (a hand-written pull tokenizer rather than a dependency:
// nmap and synscan XML need elements, attributes, comments, a DOCTYPE without an internal subset
// and processing instructions, nothing more) and ignores elements it does not model (<times>,
// <os>, <script>). Nothing recurses, so no input can exhaust the stack, and every error carries
// the line it was found on.
#include <cstdio>
#include <ctime>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scan_file_fields.hpp"
#include "xml_tokenizer.hpp"

namespace synscan::output::detail {
namespace {

// nmap's ssl-cert script output (synscan writes the same lines): the subject's commonName and
// "Not valid after:  2026-12-31T23:59:59". What does not parse is left empty.
void read_ssl_cert(std::string_view output, ScannedPort& port) {
  const std::size_t subject = output.find("Subject: ");
  const std::size_t cn = output.find("commonName=", subject == std::string_view::npos ? 0 : subject);
  if (subject != std::string_view::npos && cn != std::string_view::npos) {
    const std::size_t end = output.find_first_of("/\n", cn);
    port.certificate_cn = std::string(output.substr(cn + 11, end == std::string_view::npos ? end : end - cn - 11));
  }
  const std::size_t after = output.find("Not valid after:");
  if (after == std::string_view::npos) return;
  std::size_t at = after + 16;
  while (at < output.size() && output[at] == ' ') ++at;
  const std::string stamp(output.substr(at, 19));
  std::tm parts{};
  if (stamp.size() == 19 && std::sscanf(stamp.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &parts.tm_year, &parts.tm_mon,
                                        &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec) == 6) {
    parts.tm_year -= 1900;
    parts.tm_mon -= 1;
    port.certificate_not_after = ::timegm(&parts);
  }
}

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
      port_->product = std::string(tag.attribute_or("product", ""));
      port_->version = std::string(tag.attribute_or("version", ""));
    } else if (name == "script" && opening && port_ && tag.attribute_or("id", "") == "ssl-cert") {
      read_ssl_cert(tag.attribute_or("output", ""), *port_);
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

}  // namespace

void read_xml(std::string_view text, ScanModel& model) { XmlScanReader(model).read(text); }

}  // namespace synscan::output::detail
