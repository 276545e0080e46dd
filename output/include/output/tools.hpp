#pragma once
/// Tools over saved scans (see scan_file.hpp for the model): diff, HTML report, convert through
/// the writers, merge of shard outputs. Pure library functions: they return text or write through
/// ResultWriters and never print; the CLI (scanner/src/tools.cpp) owns stdout, stderr and exit
/// codes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "output/scan_file.hpp"
#include "output/writers.hpp"

namespace synscan::output {

// ---------------------------------------------------------------------------------------------
// diff
// ---------------------------------------------------------------------------------------------

enum class DiffResult : std::uint8_t { kEqual, kDifferent };

enum class ChangeKind : std::uint8_t {
  kNewHost,         ///< up now, not up (or absent) before
  kVanishedHost,    ///< up before, not up (or absent) now
  kNewOpenPort,     ///< open now; anything else (or not scanned, or host down) before
  kNoLongerOpen,    ///< open before; anything else now (closed/filtered, host down)
  kStateChanged,    ///< any other state change, e.g. closed -> filtered
  kSummaryChanged,  ///< counts of ports a file summarised without listing them differ
};
/// "new host", "vanished host", "new open port", "no longer open", "state changed",
/// "summary changed".
[[nodiscard]] const char* to_string(ChangeKind kind) noexcept;

struct Change {
  ChangeKind kind = ChangeKind::kStateChanged;
  std::uint32_t address = 0;
  std::optional<std::uint16_t> port;  ///< none for host-level changes
  Protocol protocol = Protocol::kTcp;
  /// State texts ("open", "closed", "open|filtered"), "not scanned", "host down", "up", or for
  /// kSummaryChanged "closed (40)".
  std::string from, to;
};

struct ScanDiff {
  /// Ordered by address; per host the host-level change first, then TCP then UDP ports ascending.
  std::vector<Change> changes;
  [[nodiscard]] DiffResult result() const noexcept {
    return changes.empty() ? DiffResult::kEqual : DiffResult::kDifferent;
  }
};

/// Compares two scans. Hosts up in neither scan are ignored (nmap XML omits them, JSON lines lists
/// their silent ports): a host has port facts only where it answered. A host up on one side only
/// gives kNewHost/kVanishedHost plus one kNewOpenPort/kNoLongerOpen per open port it gained or
/// lost. For hosts up on both sides every (protocol, port) whose state differs is reported; a port
/// present on one side only is "not scanned" on the other. Reasons and TTLs are not compared.
[[nodiscard]] ScanDiff diff_scans(const ScanModel& before, const ScanModel& after);

/// One line per change: "no longer open: 198.18.3.10 22/tcp (open -> closed)",
/// "new host: 198.18.0.7"; "no differences\n" when equal.
[[nodiscard]] std::string diff_text(const ScanDiff& diff);

/// {"equal":false,"changes":[{"kind":"no longer open","ip":"198.18.3.10","port":"22/tcp",
///  "from":"open","to":"closed"}]} and a newline. "port" is "" for host-level changes.
[[nodiscard]] std::string diff_json(const ScanDiff& diff);

// ---------------------------------------------------------------------------------------------
// report
// ---------------------------------------------------------------------------------------------

/// A self-contained HTML page (inline CSS, SVG and script; no fonts, images or links to fetch).
/// Summary as HTML: totals by state (elements with ids "hosts-up", "total-open", "total-closed",
/// "total-filtered", "total-open-filtered", each holding `<b>N</b>`; per protocol "tcp-open",
/// "udp-closed", ...), scan parameters, duration and rate, open ports by service as a bar chart,
/// the hosts with the most open ports. Drawn by the page's script from an embedded JSON block:
/// per /16 a 256 x 256 picture of the address space (one cell per address; per /24 when the scan
/// spans many /16s) and every record of the hosts that are up in a filterable table that renders
/// only its visible rows. Totals include ports a file summarised without listing them. Every text
/// from the file is HTML- or JSON-escaped and rendered as text. `title` names the scan (usually
/// its path). A /16 x 5 ports scan gives a page of about 1.5 MB.
[[nodiscard]] std::string html_report(const ScanModel& scan, const std::string& title);

/// As above, plus what changed since `baseline` (diff_scans(baseline, scan)): counts per change
/// kind (ids "changes-new-open-port", "changes-no-longer-open", "changes-new-host",
/// "changes-vanished-host", "changes-state-changed", "changes-summary-changed"), a picture of
/// the changes per /16 and the list of every change.
[[nodiscard]] std::string html_report(const ScanModel& scan, const std::string& title,
                                      const ScanModel& baseline,
                                      const std::string& baseline_title);

/// Escapes & < > " ' for HTML text and attribute values.
[[nodiscard]] std::string html_escaped(std::string_view text);

// ---------------------------------------------------------------------------------------------
// convert
// ---------------------------------------------------------------------------------------------

struct ConvertOptions {
  /// Written as the scanner version of the output (the program writing the file).
  std::string scanner_version;
  /// The command line written into the output (XML args, greppable header) when the scan does
  /// not carry its own (JSON lines, merged scans); otherwise the scan's own is kept so consumers
  /// see how the results were obtained.
  std::string fallback_command_line;
  /// Service names for ports whose records name none; empty = service_name_view().
  ServiceLookup fallback_services;
};

/// The service names a converted file prints: per (protocol, port), the first name the scan's
/// records give, else `fallback` (service_name_view() when empty). One name per (protocol, port):
/// writers name services per port, not per host. The returned lookup owns its storage.
[[nodiscard]] ServiceLookup scan_service_lookup(const ScanModel& scan, ServiceLookup fallback);

/// The ScanInfo a converted file begins with: start time, command line, scanned ports (the
/// scan's <scaninfo> when known, else every port in its records).
[[nodiscard]] ScanInfo scan_info_of(const ScanModel& scan, const ConvertOptions& options);

/// Feeds the whole scan through `writers`: begin, port_result for every record of every host
/// (with the record's time), host for every host that is up, finish with totals (hosts_total is
/// the file's total when known, else the number of hosts). Ports the input only summarised
/// (CollapsedPorts) cannot be written; the returned warnings say how many, per host.
std::vector<std::string> write_scan(const ScanModel& scan,
                                    const std::vector<ResultWriter*>& writers,
                                    const ConvertOptions& options);

/// Opens every target (OutputError names the one that failed), makes its writer with
/// make_writer(format, file, scan_service_lookup(scan, options.fallback_services)) and writes the
/// scan. Returns write_scan()'s warnings.
std::vector<std::string> write_scan_files(const ScanModel& scan,
                                          const std::vector<OutputTarget>& targets,
                                          const ConvertOptions& options);

// ---------------------------------------------------------------------------------------------
// merge
// ---------------------------------------------------------------------------------------------

/// Combines several scans (shard outputs, resumed parts) into one:
///  - the union of hosts; a host in several parts gets the union of its ports, sorted TCP then
///    UDP; a host is up if any part says so;
///  - duplicate (host, protocol, port) results that differ: the more informative one wins (a
///    reply beats no-response; see more_informative()) and a warning names both;
///  - XML and greppable files leave out hosts that answered nothing. When such a part says which
///    ports it probed (<scaninfo>), an up host missing from that part gets those ports back as
///    unanswered (filtered / open|filtered, no-response) unless another part has them, so a host
///    that was silent in one shard but answered in another is complete;
///  - start = earliest, end = latest, scanned ports = union, hosts_total = the largest part total
///    or the number of distinct hosts, whichever is larger (shards of one scan share a total);
///    the command line is cleared (the merge's own is written instead).
/// The merged scan's warnings hold the parts' warnings and the merge's own.
[[nodiscard]] ScanModel merge_scans(std::vector<ScanModel> parts);

}  // namespace synscan::output
