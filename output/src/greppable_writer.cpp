// nmap's greppable format (-oG), laid out exactly as nmap 7.93 writes it:
//
//   # synscan 0.1.0 scan initiated Wed Nov 25 03:57:44 2026 as: synscan -p 22,80 -oG - 198.18.0.5
//   Host: 198.18.0.5 ()\tStatus: Up
//   Host: 198.18.0.5 ()\tPorts: 22/open/tcp//ssh///, 80/closed/tcp//http///
//   # synscan done at Wed Nov 25 03:57:45 2026 -- 1 IP address (1 host up) scanned in 0.52 seconds
//
// Port entries are port/state/protocol/owner/service/rpc/version/ (owner and rpc are always empty;
// version is nmap -sV's "product version (extrainfo)" with --banners); '/' inside a field becomes
// '|'. A host that fakes open ports gets a "# fake-open ADDRESS: why" comment line first. The hostname between the
// parentheses stays empty: synscan never resolves PTR names.
//
// Summarised states (see detail::PortListing) are left out of "Ports:". nmap's greppable format
// holds only one summary, so — exactly like nmap — "\tIgnored State: closed (997)" is appended only
// when a single state is summarised; with two or more (e.g. many closed and many filtered ports)
// neither is named and their ports are simply absent. The XML keeps every count.
//
// With --open a host without open or open|filtered ports gets no lines at all (nmap does the
// same; it is still counted in the footer's "hosts up").
#include <fmt/format.h>

#include "net/ipv4_address.hpp"
#include "format.hpp"
#include "writer_factories.hpp"

namespace synscan::output::detail {
namespace {

// nmap -sV's service field: the probed name ("ssl|http" for HTTP over TLS), else the table's.
std::string service_name(std::string_view table_name, const ServiceFacts* facts) {
  if (facts == nullptr || (facts->name.empty() && !facts->tunnel_ssl)) return std::string(table_name);
  if (!facts->tunnel_ssl) return facts->name;
  return facts->name.empty() ? "ssl" : "ssl/" + facts->name;  // '/' prints as '|'
}

// nmap -sV's version field: "product version (extrainfo)".
std::string version_column(const ServiceFacts* facts) {
  if (facts == nullptr) return {};
  std::string text = facts->product;
  if (!facts->version.empty()) text += (text.empty() ? "" : " ") + facts->version;
  if (!facts->extrainfo.empty()) text += (text.empty() ? "(" : " (") + facts->extrainfo + ")";
  return text;
}

class GreppableWriter final : public ResultWriter {
 public:
  GreppableWriter(std::unique_ptr<OutputFile> file, ServiceLookup lookup)
      : file_(std::move(file)), lookup_(std::move(lookup)) {}

  void begin(const ScanInfo& info) override {
    only_open_ = info.only_open;
    file_->write(fmt::format("# synscan {} scan initiated {} as: {}\n",
                             single_line(info.scanner_version), ctime_text(info.start_time),
                             single_line(info.command_line)));
    file_->flush();
  }

  void port_result(std::uint32_t, const PortResult&, std::time_t) override {}

  void host(const HostResult& full_host) override {
    std::vector<PortResult> kept;
    const HostResult host = only_open_ ? without_fake_open(full_host, kept) : full_host;
    const PortListing listing(host.ports, only_open_);
    if (only_open_ && !listing.has_open_or_open_filtered()) return;

    const std::string address = net::Ipv4Address(host.address).to_string();
    std::string record;
    if (!host.fake_open.empty()) record = fmt::format("# fake-open {}: {}\n", address, single_line(host.fake_open));
    fmt::format_to(std::back_inserter(record), "Host: {} ()\tStatus: Up\nHost: {} ()\tPorts: ", address, address);
    bool first = true;
    for (const PortResult& port : listing.sorted_ports()) {
      if (!listing.is_listed(port)) continue;
      if (!first) record += ", ";
      first = false;
      const ServiceFacts* facts = port.protocol == Protocol::kTcp ? service_of(host, port.port) : nullptr;
      fmt::format_to(std::back_inserter(record), "{}/{}/{}//{}//{}/", port.port,
                     to_string(port.state), to_string(port.protocol),
                     greppable_field(service_name(lookup_(port.protocol, port.port), facts)),
                     greppable_field(version_column(facts)));
    }
    if (listing.ignored_states().size() == 1) {
      const IgnoredState& ignored = listing.ignored_states().front();
      fmt::format_to(std::back_inserter(record), "\tIgnored State: {} ({})",
                     to_string(ignored.state), ignored.count);
    }
    record += '\n';
    file_->write(record);
    file_->flush();
  }

  void finish(const ScanSummary& summary) override {
    if (finished_) return;
    finished_ = true;
    std::string footer;
    if (summary.interrupted) {
      // A comment line, so greppable parsers (which skip '#') are unaffected.
      footer += "# synscan scan interrupted: results are incomplete\n";
    }
    fmt::format_to(std::back_inserter(footer), "# synscan done at {} -- {} scanned{}\n",
                   ctime_text(summary.end_time),
                   hosts_summary_text(summary.hosts_total, summary.hosts_up),
                   summary.elapsed_seconds >= 0
                       ? fmt::format(" in {} seconds", elapsed_text(summary.elapsed_seconds))
                       : std::string("; run time not recorded"));
    file_->write(footer);
    file_->flush();
  }

 private:
  std::unique_ptr<OutputFile> file_;
  ServiceLookup lookup_;
  bool only_open_ = false;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<ResultWriter> make_greppable_writer(std::unique_ptr<OutputFile> file,
                                                    ServiceLookup lookup) {
  return std::make_unique<GreppableWriter>(std::move(file), std::move(lookup));
}

}  // namespace synscan::output::detail
