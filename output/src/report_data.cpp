// The report's embedded data (report_parts.hpp). A /16 x 5 ports scan has ~300,000 records, so
// the layout is columnar and dictionary-encoded rather than one object per record:
//
//   {"v":1,
//    "strings":["syn-ack","ssh",...],              reasons and services, each text once
//    "kinds":{"port":[22,...],"proto":[0,...],     one entry per distinct (port, protocol, state,
//             "state":[0,...],"reason":[i,...],     reason, service); proto 0 tcp 1 udp; state 0
//             "service":[i,...]},                   open 1 closed 2 filtered 3 open|filtered
//    "hosts":{"address":[d,...],"count":[n,...]},   up hosts ascending: the first address, then the
//                                                   difference to the previous; records per host
//    "records":[kind,...],                          every record, host by host, in file order
//    "collapsed":[host,state,count,...],            ports a file only counted (host index)
//    "changes":{"address":[d,...],"port":[p,...],   only with a baseline: diff_scans() order,
//               "proto":[0,...],"kind":[k,...],      address delta-coded, port -1 for host-level
//               "from":[i,...],"to":[i,...]}}        changes, kind = ChangeKind, from/to strings
//
// The demo /16 x 5 comes to about 1.3 MB this way: no compression needed.
#include <fmt/format.h>

#include <map>
#include <tuple>

#include "format.hpp"
#include "report_parts.hpp"

namespace synscan::output::detail {
namespace {

// Texts in first-use order; each is written once and referred to by index.
class StringTable {
 public:
  std::uint32_t index_of(const std::string& text) {
    const auto [found, inserted] = index_.try_emplace(text, static_cast<std::uint32_t>(order_.size()));
    if (inserted) order_.push_back(&found->first);
    return found->second;
  }
  void append_json(std::string& out) const {
    out += '[';
    for (std::size_t i = 0; i < order_.size(); ++i) {
      if (i) out += ',';
      append_json_string(out, *order_[i]);
    }
    out += ']';
  }

 private:
  std::map<std::string, std::uint32_t> index_;
  std::vector<const std::string*> order_;
};

using KindKey = std::tuple<std::uint16_t, Protocol, PortState, std::uint32_t, std::uint32_t>;

struct Columns {
  StringTable strings;
  std::map<KindKey, std::uint32_t> kind_index;
  std::vector<KindKey> kinds;
  std::vector<std::int64_t> host_address, host_count, records, collapsed;
};

template <typename Number>
void append_array(std::string& out, std::string_view key, const std::vector<Number>& values) {
  fmt::format_to(std::back_inserter(out), "\"{}\":[{}]", key, fmt::join(values, ","));
}

std::uint32_t kind_of(Columns& columns, const ScannedPort& port) {
  const KindKey key{port.result.port, port.result.protocol, port.result.state,
                    columns.strings.index_of(std::string(report_reason_text(port))),
                    columns.strings.index_of(report_service_name(port))};
  const auto [found, inserted] =
      columns.kind_index.try_emplace(key, static_cast<std::uint32_t>(columns.kinds.size()));
  if (inserted) columns.kinds.push_back(key);
  return found->second;
}

void collect_hosts(const ScanModel& scan, Columns& columns) {
  std::uint32_t previous = 0;
  for (const auto& [address, host] : scan.hosts) {
    if (!host.up) continue;
    const std::int64_t host_index = static_cast<std::int64_t>(columns.host_address.size());
    columns.host_address.push_back(static_cast<std::int64_t>(address) - previous);
    columns.host_count.push_back(static_cast<std::int64_t>(host.ports.size()));
    previous = address;
    for (const ScannedPort& port : host.ports) columns.records.push_back(kind_of(columns, port));
    for (const CollapsedPorts& group : host.collapsed) {
      columns.collapsed.insert(columns.collapsed.end(),
                               {host_index, static_cast<std::int64_t>(group.state),
                                static_cast<std::int64_t>(group.count)});
    }
  }
}

void append_kinds(std::string& out, const Columns& columns) {
  std::vector<std::int64_t> port, proto, state, reason, service;
  for (const auto& [port_number, protocol, port_state, reason_index, service_index] :
       columns.kinds) {
    port.push_back(port_number);
    proto.push_back(static_cast<std::int64_t>(protocol));
    state.push_back(static_cast<std::int64_t>(port_state));
    reason.push_back(reason_index);
    service.push_back(service_index);
  }
  out += "\"kinds\":{";
  append_array(out, "port", port);
  out += ',';
  append_array(out, "proto", proto);
  out += ',';
  append_array(out, "state", state);
  out += ',';
  append_array(out, "reason", reason);
  out += ',';
  append_array(out, "service", service);
  out += '}';
}

void append_changes(std::string& out, const ScanDiff& diff, StringTable& strings) {
  std::vector<std::int64_t> address, port, proto, kind, from, to;
  std::uint32_t previous = 0;
  for (const Change& change : diff.changes) {
    address.push_back(static_cast<std::int64_t>(change.address) - previous);
    previous = change.address;
    port.push_back(change.port ? static_cast<std::int64_t>(*change.port) : -1);
    proto.push_back(static_cast<std::int64_t>(change.protocol));
    kind.push_back(static_cast<std::int64_t>(change.kind));
    from.push_back(strings.index_of(change.from));
    to.push_back(strings.index_of(change.to));
  }
  out += ",\"changes\":{";
  append_array(out, "address", address);
  out += ',';
  append_array(out, "port", port);
  out += ',';
  append_array(out, "proto", proto);
  out += ',';
  append_array(out, "kind", kind);
  out += ',';
  append_array(out, "from", from);
  out += ',';
  append_array(out, "to", to);
  out += '}';
}

// JSON never needs a raw '<' (it only occurs inside strings), and escaping it keeps "</script>"
// and "<!--" in a service name from ending or altering the script element.
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (const char character : json) {
    if (character == '<') {
      out += "\\u003c";
    } else {
      out += character;
    }
  }
  return out;
}

}  // namespace

std::string report_service_name(const ScannedPort& port) {
  return port.service.empty()
             ? std::string(service_name_view(port.result.protocol, port.result.port))
             : port.service;
}

std::string_view report_reason_text(const ScannedPort& port) {
  return port.reason_text.empty() ? std::string_view(to_string(port.result.reason))
                                  : std::string_view(port.reason_text);
}

std::string report_data_json(const ScanModel& scan, const ScanDiff* changes) {
  Columns columns;
  collect_hosts(scan, columns);
  std::string body;
  append_kinds(body, columns);
  body += ",\"hosts\":{";
  append_array(body, "address", columns.host_address);
  body += ',';
  append_array(body, "count", columns.host_count);
  body += "},";
  append_array(body, "records", columns.records);
  body += ',';
  append_array(body, "collapsed", columns.collapsed);
  if (changes != nullptr) append_changes(body, *changes, columns.strings);
  std::string json = "{\"v\":1,\"strings\":";
  columns.strings.append_json(json);  // after the changes: they add their texts
  json += ',';
  json += body;
  json += "}";
  return script_safe(json);
}

}  // namespace synscan::output::detail
