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

  void host(const HostResult& host) override {
    if (!begun_ || finished_) return;
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
      const std::string_view service = lookup_(port.protocol, port.port);
      if (!service.empty()) {
        element += "<service name=\"";
        append_xml_escaped(element, service);
        element += "\" method=\"table\" conf=\"3\"/>";
      }
      element += "</port>\n";
    }
    element += "</ports>\n</host>\n";
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
