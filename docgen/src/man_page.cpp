// man_page (docgen.hpp): synscan(1). Options, subcommands, exit codes and the state names come from
// the data --help and the result model print; the prose around them is written here.
#include <sstream>

#include "docgen/docgen.hpp"
#include "output/result.hpp"
#include "scanner/exit_codes.hpp"

namespace synscan::docgen {
namespace {

using output::PortState;
using output::Reason;

// How a reply becomes a state and reason (README "What the states mean"; the names are the
// result model's own, so a renamed reason changes the page).
struct StateRow {
  const char* reply;
  PortState state;
  std::vector<Reason> reasons;
};

const std::vector<StateRow>& tcp_states() {
  static const std::vector<StateRow> rows = {
      {"SYN+ACK whose acknowledgement carries the probe's cookie", PortState::kOpen, {Reason::kSynAck}},
      {"RST+ACK whose acknowledgement carries the probe's cookie", PortState::kClosed, {Reason::kReset}},
      {"ICMP 3/0, 3/1, 3/2, 3/3, 3/9, 3/10, 3/13 or 11/x quoting the probe", PortState::kFiltered,
       {Reason::kNetUnreach, Reason::kHostUnreach, Reason::kProtoUnreach, Reason::kPortUnreach,
        Reason::kNetProhibited, Reason::kHostProhibited, Reason::kAdminProhibited, Reason::kTimeExceeded}},
      {"nothing after every try and the wait", PortState::kFiltered, {Reason::kNoResponse}},
  };
  return rows;
}

const std::vector<StateRow>& udp_states() {
  static const std::vector<StateRow> rows = {
      {"any UDP reply (echoing the cookie where the protocol echoes an identifier)", PortState::kOpen,
       {Reason::kUdpResponse}},
      {"ICMP 3/3 from the target itself", PortState::kClosed, {Reason::kPortUnreach}},
      {"other ICMP unreachables quoting the probe", PortState::kFiltered,
       {Reason::kNetUnreach, Reason::kHostUnreach, Reason::kProtoUnreach, Reason::kNetProhibited,
        Reason::kHostProhibited, Reason::kAdminProhibited}},
      {"nothing after every try and the wait", PortState::kOpenFiltered, {Reason::kNoResponse}},
  };
  return rows;
}

const char* const kDescription[] = {
    "synscan is a raw-packet TCP SYN and UDP port scanner. Every probed port gets nmap's state and "
    "reason (open, closed, filtered, open|filtered; syn-ack, reset, port-unreach, no-response, ...), "
    "unanswered probes are retried exactly \\-\\-retries times, and results are written host by host "
    "while the scan runs, in nmap's XML and greppable formats and as JSON lines.",
    "Probes are sent from libnet-built templates at a token-bucket paced rate over an AF_PACKET "
    "socket; replies are captured with libpcap and validated by a SipHash cookie, so replies to other "
    "programs and forged replies are not counted.",
};

const char* const kExamples[][2] = {
    {"sudo synscan -p 22,80,443 --rate 50000 198.18.0.0/16 -oX scan.xml",
     "Three ports on a /16 at 50000 packets per second, nmap XML."},
    {"sudo synscan -p- --rate 20000 198.18.7.1 -oG - --open", "Every TCP port of one host, open ones on stdout."},
    {"sudo synscan -sS -sU -p T:22,U:53 198.18.0.0/24 -oA results/scan",
     "TCP and UDP in one run; results/scan.xml, .gnmap and .jsonl."},
    {"sudo synscan -iL targets.txt --excludefile skip.txt --top-ports 100 -oJ scan.jsonl",
     "Targets and exclusions from files, synscan's 100 highest-ranked ports."},
    {"synscan --resume scan.xml.resume -oA part2", "Continue an interrupted scan into new files."},
    {"synscan diff monday.xml tuesday.xml", "What changed between two scans; the exit status tells whether anything did (EXIT STATUS)."},
    {"synscan merge shard-*.jsonl -oA merged", "Combine shards or resumed parts into one scan."},
    {"synscan report scan.xml -o report.html", "One self-contained HTML page."},
};

const char* const kFiles[][2] = {
    {"OUTPUT.resume", "the state of an interrupted scan, next to its first output file (\\-\\-resume-file)"},
    {"/etc/services", "service names, after synscan's built-in table (\\-\\-services-file names another)"},
    {"/usr/share/doc/synscan/examples/udp-payloads.txt", "the format of \\-\\-udp-payloads, with examples"},
    {"/usr/share/doc/synscan/examples/k8s/", "a sharded scan as a Kubernetes Indexed Job, and its merge"},
};

const char* const kSafety[] = {
    "Scan only networks you are authorised to scan. 0.0.0.0/8, 127.0.0.0/8, 224.0.0.0/4 and "
    "240.0.0.0/4 are skipped unless \\-\\-allow-reserved is given; \\-\\-max-targets refuses scans larger "
    "than intended, and a scan of more than a /8 without \\-\\-exclude gets a warning.",
    "Raw sockets need root or CAP_NET_RAW. Started as root, synscan opens its output files (never "
    "following symbolic links), capture and sockets, then runs as \\-\\-user (default nobody) with no "
    "capabilities. Instead of root, an administrator may grant the installed binary the capabilities "
    "with setcap cap_net_raw,cap_net_admin+ep /usr/bin/synscan: any user who can run it can then "
    "scan, its outputs are owned by that user, and synscan clears the capabilities once its sockets "
    "are open.",
    "The scanning host's kernel answers each SYN+ACK with a RST, as no socket of its own opened the "
    "connection: targets see half-open connections torn down at once, as with nmap \\-sS.",
};

// Prose written above with \- already where a hyphen is a minus: only backslashes of escapes stay.
std::string prose(std::string_view text) {
  std::string line;
  if (!text.empty() && (text.front() == '.' || text.front() == '\'')) line += "\\&";
  line += text;
  return line;
}

std::string strip_usage(const std::string& line) {
  const std::string prefix = "Usage: ";
  return line.rfind(prefix, 0) == 0 ? line.substr(prefix.size()) : line;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string states_of(const StateRow& row) {
  std::string text = output::to_string(row.state);
  text += " (";
  for (std::size_t i = 0; i < row.reasons.size(); ++i) {
    text += (i ? ", " : "") + std::string(output::to_string(row.reasons[i]));
  }
  return text + ")";
}

void write_header(std::ostringstream& page, const scanner::CommandLineDoc& command_line,
                  const std::vector<scanner::ToolDoc>& tools, std::string_view version) {
  page << ".\\\" Generated by synscan-docgen from synscan's option table: do not edit.\n"
       << ".TH SYNSCAN 1 \"\" \"synscan " << groff_escape(version) << "\" \"User Commands\"\n"
       << ".SH NAME\nsynscan \\- fast raw-packet TCP SYN and UDP port scanner with nmap's states and outputs\n"
       << ".SH SYNOPSIS\n.nf\n" << groff_escape(strip_usage(command_line.usage)) << "\n";
  for (const scanner::ToolDoc& tool : tools) page << groff_escape(strip_usage(first_line(tool.usage))) << "\n";
  page << ".fi\n.SH DESCRIPTION\n";
  for (const char* paragraph : kDescription) page << ".PP\n" << prose(paragraph) << "\n";
  page << ".SH TARGETS\nTargets are addresses, CIDR blocks, ranges and octet ranges, e.g. "
       << groff_escape(command_line.targets) << ".\n";
}

void write_options(std::ostringstream& page, const scanner::CommandLineDoc& command_line) {
  page << ".SH OPTIONS\n";
  for (const scanner::OptionGroupDoc& group : command_line.groups) {
    page << ".SS " << groff_escape(group.title) << "\n";
    for (const scanner::OptionDoc& option : group.options) {
      const OptionEntry entry = present_option(option);
      page << ".TP\n";
      for (std::size_t i = 0; i < entry.spellings.size(); ++i) {
        page << (i ? ", " : "") << "\\fB" << groff_escape(entry.spellings[i]) << "\\fR";
      }
      if (!entry.value_name.empty()) page << " \\fI" << groff_escape(entry.value_name) << "\\fR";
      page << "\n" << groff_escape(entry.text) << "\n";
    }
  }
}

void write_tools(std::ostringstream& page, const std::vector<scanner::ToolDoc>& tools) {
  page << ".SH SUBCOMMANDS\nSubcommands work on saved scans (synscan or nmap XML, greppable, JSON lines) "
          "and need no privileges. \\fBsynscan\\fR \\fITOOL\\fR \\fB\\-\\-help\\fR prints a tool's usage.\n";
  for (const scanner::ToolDoc& tool : tools) {
    page << ".SS " << groff_escape(tool.name) << "\n.B " << groff_escape(strip_usage(first_line(tool.usage)))
         << "\n.PP\n";
    std::istringstream rest(tool.usage.substr(tool.usage.find('\n') + 1));
    for (std::string line; std::getline(rest, line);) {
      if (!line.empty()) page << groff_escape(line) << "\n";
    }
  }
}

void write_states(std::ostringstream& page) {
  page << ".SH PORT STATES AND REASONS\nEach port's state, with nmap's reason in parentheses; "
          "reason_ttl is the reply's IP TTL.\n";
  for (const auto& [title, rows] : {std::pair{"TCP SYN (\\-sS)", &tcp_states()}, std::pair{"UDP (\\-sU)", &udp_states()}}) {
    page << ".SS " << title << "\n";
    for (const StateRow& row : *rows) {
      page << ".TP\n" << groff_escape(row.reply) << "\n" << groff_escape(states_of(row)) << "\n";
    }
  }
}

void write_closing_sections(std::ostringstream& page) {
  page << ".SH EXIT STATUS\n";
  for (const scanner::ExitCodeDoc& exit_code : scanner::kExitCodeTable) {
    page << ".TP\n.B " << exit_code.code << "\n" << groff_escape(exit_code.meaning) << "\n";
  }
  page << ".SH FILES\n";
  for (const auto& [path, meaning] : kFiles) page << ".TP\n.I " << groff_escape(path) << "\n" << prose(meaning) << "\n";
  page << ".SH EXAMPLES\n";
  for (const auto& [command, meaning] : kExamples) {
    page << ".PP\n" << prose(meaning) << "\n.RS\n.nf\n" << groff_escape(command) << "\n.fi\n.RE\n";
  }
  page << ".SH SAFETY\n";
  for (const char* paragraph : kSafety) page << ".PP\n" << prose(paragraph) << "\n";
  page << ".SH SEE ALSO\n.BR nmap (1),\n.BR capabilities (7),\n.BR setcap (8),\n.BR pcap (3PCAP)\n";
}

}  // namespace

std::string man_page(const scanner::CommandLineDoc& command_line, const std::vector<scanner::ToolDoc>& tools,
                     std::string_view version) {
  std::ostringstream page;
  write_header(page, command_line, tools, version);
  write_options(page, command_line);
  write_tools(page, tools);
  write_states(page);
  write_closing_sections(page);
  return page.str();
}

}  // namespace synscan::docgen
