#pragma once
/// Saved scans read back into memory: synscan JSON lines (-oJ, lossless), synscan or nmap XML
/// (-oX, including nmap -sS / -sU output and <extraports>), and nmap greppable (-oG, best effort).
///
/// Contract: read_scan_file()/parse_scan() either return a complete model or throw ScanFileError
/// with one line naming the file (and line where known) and what is wrong. No input crashes the
/// reader: it bounds every access and has no recursion. Problems that do not make the file
/// unusable (an IPv6 host, an SCTP port, a duplicate record) are collected in ScanModel::warnings.
#include <cstdint>
#include <ctime>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "output/result.hpp"

namespace synscan::output {

/// A saved scan that cannot be read: "scan.xml:12: unknown port state 'half-open'".
class ScanFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ScanFileFormat : std::uint8_t { kJsonLines, kXml, kGreppable };
[[nodiscard]] const char* to_string(ScanFileFormat format) noexcept;  ///< "JSON lines", ...

/// One (host, port) result as the file gave it.
struct ScannedPort {
  PortResult result;
  /// The service name the file printed ("" when it printed none).
  std::string service;
  /// The reason as the file spelled it. nmap has reasons synscan does not model
  /// ("conn-refused", "localhost-response"); those keep their text here while result.reason holds
  /// the closest synscan reason (see inferred_reason()). Greppable files carry no reason: "".
  std::string reason_text;
  /// When the result became final: JSON lines "time"; XML/greppable: the host's end time.
  std::time_t time = 0;
  /// --banners (nmap -sV): product and version as the file gave them (XML <service>, JSON
  /// "banner"); "" when none. convert and merge do not carry them on (nor the banner, HTTP and
  /// TLS details): they are read for the report.
  std::string product;
  std::string version;
  /// A TLS certificate the file reported (XML ssl-cert script, JSON "tls"): subject commonName
  /// and expiry; not_after 0 when none.
  std::string certificate_cn;
  std::time_t certificate_not_after = 0;
};

/// Ports a file summarised by state without listing them (nmap's <extraports> without a "ports"
/// list on its <extrareasons>, or greppable "Ignored State: closed (997)"). Only the count is
/// known. <extraports> that do list their ports (nmap 7.x and synscan) are expanded into
/// ScannedPort records instead, and do not appear here.
struct CollapsedPorts {
  PortState state = PortState::kClosed;
  std::uint64_t count = 0;
};

struct ScannedHost {
  std::uint32_t address = 0;  ///< host byte order
  /// The file says the host is up: XML <status state="up">, greppable "Status: Up", or for JSON
  /// lines any port that got a reply. Hosts that never answered appear only in JSON lines.
  bool up = false;
  std::time_t start_time = 0;
  std::time_t end_time = 0;
  /// Sorted TCP ascending then UDP ascending, one record per (protocol, port).
  std::vector<ScannedPort> ports;
  std::vector<CollapsedPorts> collapsed;
};

struct ScanModel {
  ScanFileFormat format = ScanFileFormat::kJsonLines;
  std::string origin;           ///< the path it was read from (for messages)
  std::string scanner;          ///< "synscan" or "nmap" where the file says; "" unknown
  std::string scanner_version;  ///< as the file says; "" unknown
  std::string command_line;     ///< XML args / greppable header; "" unknown (JSON lines)
  std::time_t start_time = 0;   ///< 0 when unknown
  std::time_t end_time = 0;     ///< 0 when unknown
  /// Run time as the file states it (XML elapsed, greppable "scanned in"); < 0 when unknown.
  double elapsed_seconds = -1;
  /// The ports probed (XML <scaninfo>), sorted; empty when the file does not say (JSON lines).
  std::vector<std::uint16_t> scanned_tcp_ports;
  std::vector<std::uint16_t> scanned_udp_ports;
  /// Addresses scanned (XML <hosts total>, greppable footer); 0 when unknown.
  std::uint64_t hosts_total = 0;
  std::map<std::uint32_t, ScannedHost> hosts;  ///< by address, ascending
  /// Non-fatal problems, one line each without a prefix; the CLI prints them as warnings.
  std::vector<std::string> warnings;

  /// Hosts with up == true.
  [[nodiscard]] std::uint64_t hosts_up() const noexcept;
};

/// Recognises the format from the content (leading '{', '<', or greppable "Host:"/"# " lines).
/// Throws ScanFileError for anything else.
[[nodiscard]] ScanFileFormat detect_scan_format(std::string_view text, const std::string& origin);

/// Parses a scan held in memory; `origin` names it in messages.
[[nodiscard]] ScanModel parse_scan(std::string_view text, const std::string& origin);

/// Reads and parses a scan file ("-" = stdin).
[[nodiscard]] ScanModel read_scan_file(const std::string& path);

/// The synscan reason that stands for a state when the file's reason is unknown or absent:
/// open tcp syn-ack, closed tcp reset, open udp udp-response, closed udp port-unreach,
/// filtered / open|filtered no-response.
[[nodiscard]] Reason inferred_reason(Protocol protocol, PortState state) noexcept;

/// Sorts `host.ports` TCP then UDP and keeps one record per (protocol, port): of two that differ
/// the more informative one (see more_informative()) stays and a warning naming both goes to
/// `warnings` (prefixed with `origin`). Used by the readers and by merge.
void normalise_ports(ScannedHost& host, const std::string& origin,
                     std::vector<std::string>& warnings);

/// Whether `candidate` says more than `kept`: a reply beats no reply; among replies open beats
/// closed beats an ICMP-filtered result.
[[nodiscard]] bool more_informative(const PortResult& candidate, const PortResult& kept) noexcept;

}  // namespace synscan::output
