// nmap-services-format files, read only when the user names one (--services-file): synscan never
// ships or loads nmap's own file by default (its licence reaches programs that include it).
#include <charconv>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "output/writers.hpp"

namespace synscan::output {

ServiceLookup load_services_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw OutputError("cannot read services file '" + path + "'");
  auto names = std::make_shared<std::map<std::pair<Protocol, std::uint16_t>, std::string>>();
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    if (const std::size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::string name, port_protocol;
    if (!(fields >> name)) continue;  // blank or comment
    const auto fail = [&](const std::string& why) {
      throw OutputError(path + ":" + std::to_string(number) + ": " + why);
    };
    if (!(fields >> port_protocol)) fail("expected 'name port/protocol'");
    const std::size_t slash = port_protocol.find('/');
    if (slash == std::string::npos) fail("expected port/protocol, got '" + port_protocol + "'");
    unsigned port = 0;
    const char* begin = port_protocol.data();
    const auto [end, error] = std::from_chars(begin, begin + slash, port);
    if (error != std::errc() || end != begin + slash || port > 65535) fail("bad port in '" + port_protocol + "'");
    const std::string protocol = port_protocol.substr(slash + 1);
    if (protocol != "tcp" && protocol != "udp") continue;  // sctp and others: not scanned by synscan
    names->insert_or_assign({protocol == "tcp" ? Protocol::kTcp : Protocol::kUdp, static_cast<std::uint16_t>(port)},
                            name);
  }
  return [names](Protocol protocol, std::uint16_t port) -> std::string_view {
    const auto it = names->find({protocol, port});
    return it != names->end() ? std::string_view(it->second) : service_name_view(protocol, port);
  };
}

}  // namespace synscan::output
