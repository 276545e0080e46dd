// nmap's XML format (-oX), valid against /usr/share/nmap/nmap.dtd and laid out like nmap 7.93:
//
//   <?xml version="1.0" encoding="UTF-8"?>
//   <!DOCTYPE nmaprun>
//   <!-- synscan 0.1.0 scan initiated ... as: synscan -p 22,80 -oX - 198.18.0.5 -->
//   <nmaprun scanner="nmap" args="synscan ..." start="1764051234" startstr="..." version="0.1.0"
//            xmloutputversion="1.05">
//   <scaninfo type="syn" protocol="tcp" numservices="2" services="22,80"/>
//   <verbose level="0"/>
//   <debugging level="0"/>
//   <host starttime=".." endtime=".."><status state="up" reason="syn-ack" reason_ttl="64"/>
//   <address addr="198.18.0.5" addrtype="ipv4"/>
//   <hostnames/>
//   <ports><extraports state="closed" count="40">
//   <extrareasons reason="reset" count="40" proto="tcp" ports="1-40"/>
//   </extraports>
//   <port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/>...
//   </ports>
//   </host>
//   <runstats><finished time=".." timestr=".." summary=".." elapsed="0.52" exit="success"/>
//   <hosts up="1" down="0" total="1"/>
//   </runstats>
//   </nmaprun>
//
// Choices and reasons:
//  - scanner="nmap": the DTD enumerates no other value, and consumers (ndiff, libnmap, Metasploit)
//    key on it. synscan is identified by the leading comment, args and version.
//  - One <host> per address (ndiff matches hosts by address), written whole when the engine hands
//    over the host, then flushed: a reader or a crash always sees complete elements.
//  - No <times>: it is optional in the DTD, and its srtt/rttvar/to are required once present;
//    synscan keeps no per-host RTT estimate, and inventing numbers would mislead.
//  - No <?xml-stylesheet?>: nmap points it at its own install path; use
//    `xsltproc /usr/share/nmap/nmap.xsl scan.xml` instead.
//  - With --open, hosts without open or open|filtered ports get no <host> (as nmap does); they
//    still count in <hosts up>.
//  - An interrupted scan still closes the document, with exit="error" and an errormsg.
//  - --banners: <service method="probed" conf="10"> with product/version/extrainfo (tunnel="ssl"
//    for TLS), then one <script> named like nmap's: ssl-cert, else http-title, else banner (one
//    per port: Debian's ndiff fails on a port with two). A host that fakes open ports gets <hostscript><script
//    id="fake-open"> (and the same script on each open port whose service never answered) saying
//    why; --open leaves those ports out (and the host, when no other port is left).
#include <fmt/format.h>

#include "format.hpp"
#include "net/ipv4_address.hpp"
#include "net/port_ranges.hpp"
#include "writer_factories.hpp"

namespace synscan::output::detail {
namespace {

std::string escaped(std::string_view text) {
  std::string out;
  append_xml_escaped(out, text);
  return out;
}

// nmap writes script output with newlines as character references (an attribute's raw newline
// would read back as a space).
void append_script(std::string& element, std::string_view id, std::string_view output) {
  element += "<script id=\"";
  append_xml_escaped(element, id);
  element += "\" output=\"";
  for (const char character : output) {
    if (character == '\n') {
      element += "&#xa;";
    } else {
      append_xml_escaped(element, std::string_view(&character, 1));
    }
  }
  element += "\"/>";
}

void append_attribute(std::string& element, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  element += ' ';
  element += name;
  element += "=\"";
  append_xml_escaped(element, value);
  element += '"';
}

// <service>: what the service stage identified (method="probed", conf 10), else the table's
// name (method="table", conf 3), else nothing.
void append_service(std::string& element, std::string_view table_name, const ServiceFacts* facts) {
  const bool probed = facts != nullptr && (!facts->name.empty() || facts->tunnel_ssl);
  const std::string_view name = probed ? (facts->name.empty() ? "ssl" : std::string_view(facts->name)) : table_name;
  if (name.empty()) return;
  element += "<service";
  append_attribute(element, "name", name);
  if (probed) {
    append_attribute(element, "product", facts->product);
    append_attribute(element, "version", facts->version);
    append_attribute(element, "extrainfo", facts->extrainfo);
    if (facts->tunnel_ssl && !facts->name.empty()) element += " tunnel=\"ssl\"";
  }
  element += probed ? " method=\"probed\" conf=\"10\"/>" : " method=\"table\" conf=\"3\"/>";
}

// The stage's other facts where nmap's script of the same name puts them: one script per port,
// the most telling (ssl-cert, else http-title, else banner). Debian's ndiff sorts a port's script
// results and its ScriptResult has no ordering: two scripts on one port make ndiff fail
// (TypeError). JSON lines carries every fact.
void append_scripts(std::string& element, const ServiceFacts& facts) {
  if (facts.tls) {
    append_script(element, "ssl-cert", ssl_cert_text(*facts.tls));
  } else if (facts.http && !facts.http->title.empty()) {
    append_script(element, "http-title", facts.http->title);
  } else if (!facts.banner.empty()) {
    append_script(element, "banner", facts.banner);
  }
}

class XmlWriter final : public ResultWriter {
 public:
  XmlWriter(std::unique_ptr<OutputFile> file, ServiceLookup lookup)
      : file_(std::move(file)), lookup_(std::move(lookup)) {}

  void begin(const ScanInfo& info) override {
    if (begun_) return;
    begun_ = true;
    only_open_ = info.only_open;
    const std::string start_text = ctime_text(info.start_time);

    std::string head =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!DOCTYPE nmaprun>\n"
        "<!-- synscan ";
    append_xml_comment_text(head, info.scanner_version);
    head += " scan initiated ";
    head += start_text;
    head += " as: ";
    append_xml_comment_text(head, info.command_line);
    head += " -->\n";
    fmt::format_to(std::back_inserter(head),
                   "<nmaprun scanner=\"nmap\" args=\"{}\" start=\"{}\" startstr=\"{}\" "
                   "version=\"{}\" xmloutputversion=\"1.05\">\n",
                   escaped(info.command_line), static_cast<long long>(info.start_time),
                   escaped(start_text), escaped(info.scanner_version));
    if (!info.tcp_ports.empty()) {
      fmt::format_to(
          std::back_inserter(head),
          "<scaninfo type=\"syn\" protocol=\"tcp\" numservices=\"{}\" services=\"{}\"/>\n",
          info.tcp_ports.size(), net::format_port_ranges(info.tcp_ports));
    }
    if (!info.udp_ports.empty()) {
      fmt::format_to(
          std::back_inserter(head),
          "<scaninfo type=\"udp\" protocol=\"udp\" numservices=\"{}\" services=\"{}\"/>\n",
          info.udp_ports.size(), net::format_port_ranges(info.udp_ports));
    }
    head += "<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n";
    file_->write(head);
    file_->flush();
  }

  void port_result(std::uint32_t, const PortResult&, std::time_t) override {}

  void host(const HostResult& full_host) override {
    if (!begun_ || finished_) return;
    // --open: the ports a fake-open mark applies to are not services; left out.
    std::vector<PortResult> kept;
    const HostResult host = only_open_ ? without_fake_open(full_host, kept) : full_host;
    const PortListing listing(host.ports, only_open_);
    if (only_open_ && !listing.has_open_or_open_filtered()) return;

    const PortResult status = host_status_reason(host.ports);
    std::string element;
    fmt::format_to(std::back_inserter(element),
                   "<host starttime=\"{}\" endtime=\"{}\"><status state=\"up\" reason=\"{}\" "
                   "reason_ttl=\"{}\"/>\n<address addr=\"{}\" addrtype=\"ipv4\"/>\n"
                   "<hostnames/>\n<ports>",
                   static_cast<long long>(host.start_time), static_cast<long long>(host.end_time),
                   to_string(status.reason), status.reason_ttl,
                   net::Ipv4Address(host.address).to_string());
    for (const IgnoredState& ignored : listing.ignored_states()) {
      fmt::format_to(std::back_inserter(element), "<extraports state=\"{}\" count=\"{}\">\n",
                     to_string(ignored.state), ignored.count);
      for (const ReasonGroup& group : listing.reason_groups(ignored.state)) {
        fmt::format_to(std::back_inserter(element),
                       "<extrareasons reason=\"{}\" count=\"{}\" proto=\"{}\" ports=\"{}\"/>\n",
                       to_string(group.reason), group.count, to_string(group.protocol),
                       net::format_port_ranges(group.ports));
      }
      element += "</extraports>\n";
    }
    for (const PortResult& port : listing.sorted_ports()) {
      if (!listing.is_listed(port)) continue;
      fmt::format_to(std::back_inserter(element),
                     "<port protocol=\"{}\" portid=\"{}\"><state state=\"{}\" reason=\"{}\" "
                     "reason_ttl=\"{}\"/>",
                     to_string(port.protocol), port.port, to_string(port.state),
                     to_string(port.reason), port.reason_ttl);
      const ServiceFacts* facts = port.protocol == Protocol::kTcp ? service_of(host, port.port) : nullptr;
      append_service(element, lookup_(port.protocol, port.port), facts);
      if (marked_fake_open(host, port)) {
        append_script(element, "fake-open", host.fake_open);
      } else if (facts != nullptr) {
        append_scripts(element, *facts);
      }
      element += "</port>\n";
    }
    element += "</ports>\n";
    if (!host.fake_open.empty()) {
      element += "<hostscript>";
      append_script(element, "fake-open", host.fake_open);
      element += "</hostscript>\n";
    }
    element += "</host>\n";
    file_->write(element);
    file_->flush();
  }

  void finish(const ScanSummary& summary) override {
    if (!begun_ || finished_) return;
    finished_ = true;
    const std::string end_text = ctime_text(summary.end_time);
    // nmap.dtd requires elapsed; when it is unknown the summary says so without "scanned in",
    // which is how xml_reader.cpp tells a stated 0 from an unknown run time.
    const bool known = summary.elapsed_seconds >= 0;
    const std::string elapsed = elapsed_text(known ? summary.elapsed_seconds : 0);
    const std::string summary_text =
        fmt::format("synscan done at {}; {} scanned{}", end_text,
                    hosts_summary_text(summary.hosts_total, summary.hosts_up),
                    known ? fmt::format(" in {} seconds", elapsed) : "; run time not recorded");
    const std::uint64_t hosts_down =
        summary.hosts_total > summary.hosts_up ? summary.hosts_total - summary.hosts_up : 0;
    std::string tail;
    fmt::format_to(std::back_inserter(tail),
                   "<runstats><finished time=\"{}\" timestr=\"{}\" summary=\"{}\" elapsed=\"{}\" "
                   "exit=\"{}\"",
                   static_cast<long long>(summary.end_time), escaped(end_text),
                   escaped(summary_text), elapsed, summary.interrupted ? "error" : "success");
    if (summary.interrupted) {
      tail += " errormsg=\"scan interrupted before completion; results are incomplete\"";
    }
    fmt::format_to(std::back_inserter(tail),
                   "/><hosts up=\"{}\" down=\"{}\" total=\"{}\"/>\n</runstats>\n</nmaprun>\n",
                   summary.hosts_up, hosts_down, summary.hosts_total);
    file_->write(tail);
    file_->flush();
  }

 private:
  std::unique_ptr<OutputFile> file_;
  ServiceLookup lookup_;
  bool only_open_ = false;
  bool begun_ = false;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<ResultWriter> make_xml_writer(std::unique_ptr<OutputFile> file,
                                              ServiceLookup lookup) {
  return std::make_unique<XmlWriter>(std::move(file), std::move(lookup));
}

}  // namespace synscan::output::detail
