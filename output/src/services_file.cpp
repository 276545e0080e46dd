// --services-file: nmap-services-format files, read only when the user names one. synscan never
// ships or loads nmap's own file by default (its licence reaches programs that include it).
//
// Format, one service per line: `name port/protocol [frequency] [# comment]`, fields separated by
// blanks or tabs; '#' starts a comment anywhere; blank lines are ignored. Protocols other than tcp
// and udp (sctp, ddp, ...) are skipped: synscan scans neither. A later line for the same
// (port, protocol) replaces an earlier one. Anything else is an error naming file:line.
#include <charconv>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "output/writers.hpp"

namespace synscan::output {
namespace {

using ServiceNames = std::map<std::pair<Protocol, std::uint16_t>, std::string>;

void parse_services_line(const std::string& path, int number, std::string line,
                         ServiceNames& names) {
  if (const std::size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
  std::istringstream fields(line);
  std::string name, port_protocol, frequency, extra;
  if (!(fields >> name)) return;  // blank or comment only
  const auto fail = [&](const std::string& why) {
    throw OutputError(path + ":" + std::to_string(number) + ": " + why);
  };
  if (!(fields >> port_protocol)) fail("expected 'name port/protocol', got '" + name + "'");
  const std::size_t slash = port_protocol.find('/');
  if (slash == std::string::npos) fail("expected port/protocol, got '" + port_protocol + "'");
  unsigned port = 0;
  const char* begin = port_protocol.data();
  const auto [end, error] = std::from_chars(begin, begin + slash, port);
  if (slash == 0 || error != std::errc() || end != begin + slash || port > 65535) {
    fail("bad port in '" + port_protocol + "'");
  }
  if (fields >> frequency) {
    double value = -1;
    const char* last = frequency.data() + frequency.size();
    const auto [stop, parse_error] = std::from_chars(frequency.data(), last, value);
    if (parse_error != std::errc() || stop != last || value < 0 || value > 1) {
      fail("bad frequency '" + frequency + "' (expected a number from 0 to 1)");
    }
  }
  if (fields >> extra) fail("unexpected '" + extra + "' after the frequency");
  const std::string protocol = port_protocol.substr(slash + 1);
  if (protocol != "tcp" && protocol != "udp") return;  // sctp and others: not scanned by synscan
  names.insert_or_assign(
      {protocol == "tcp" ? Protocol::kTcp : Protocol::kUdp, static_cast<std::uint16_t>(port)},
      name);
}

}  // namespace

ServiceLookup load_services_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw OutputError("cannot read services file '" + path + "'");
  auto names = std::make_shared<ServiceNames>();
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    parse_services_line(path, number, std::move(line), *names);
  }
  if (file.bad()) throw OutputError("cannot read services file '" + path + "'");
  // The map is shared with the lookup, so views into its strings live as long as any writer.
  return [names](Protocol protocol, std::uint16_t port) -> std::string_view {
    const auto found = names->find({protocol, port});
    return found != names->end() ? std::string_view(found->second)
                                 : service_name_view(protocol, port);
  };
}

}  // namespace synscan::output
