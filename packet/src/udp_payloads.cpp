#include "packet/udp_payloads.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace synscan::packet {
namespace {

// The built-in payloads, in the --udp-payloads file format (so the loader is exercised by every
// scan). Cookie fields are zero here; `echo` says where the cookie goes and comes back.
constexpr std::string_view kBuiltinPayloads = R"PAYLOADS(
# DNS (RFC 1035): id, flags RD, 1 question: version.bind TXT CH. Id echoed.
53 "\x00\x00\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" "\x07version\x04bind\x00" "\x00\x10\x00\x03" echo 0 0 2
# NTP (RFC 5905): v4 client request; transmit timestamp comes back as the origin timestamp.
123 "\xe3\x00\x04\xfa\x00\x01\x00\x00\x00\x01\x00\x00" "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" echo 40 24 4
# ONC RPC portmapper (RFC 5531/1833): NULL call to program 100000 v2, AUTH_NULL. xid echoed.
111 "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x01\x86\xa0" "\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00\x00\x00\x00\x00" echo 0 0 4
# NetBIOS name service (RFC 1002): NBSTAT query for "*". Transaction id echoed.
137 "\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00" "\x20CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\x00" "\x00\x21\x00\x01" echo 0 0 2
# SNMP v2c (RFC 3416) get-request sysDescr.0, community "public". request-id carries the cookie,
# but a response's BER lengths may shift it, so replies are matched by address and port.
161 "\x30\x29\x02\x01\x01\x04\x06public\xa0\x1c\x02\x04\x00\x00\x00\x00\x02\x01\x00\x02\x01\x00" "\x30\x0e\x30\x0c\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00\x05\x00"
# TFTP (RFC 1350): read request, octet mode. Servers answer from a new port (its TID).
69 "\x00\x01synscan-probe.txt\x00octet\x00"
# IKEv1 (RFC 2408/2409): main-mode SA proposal 3DES/SHA1/PSK/MODP1024. Initiator SPI echoed.
500 "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" "\x01\x10\x02\x00\x00\x00\x00\x00\x00\x00\x00\x50" "\x00\x00\x00\x34\x00\x00\x00\x01\x00\x00\x00\x01" "\x00\x00\x00\x28\x01\x01\x00\x01" "\x00\x00\x00\x20\x01\x01\x00\x00" "\x80\x01\x00\x05\x80\x02\x00\x02\x80\x03\x00\x01\x80\x04\x00\x02\x80\x0b\x00\x01\x80\x0c\x70\x80" echo 0 0 4
# SSDP (UPnP 1.1): M-SEARCH for everything.
1900 "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n"
# SIP (RFC 3261): OPTIONS request.
5060 "OPTIONS sip:probe@invalid SIP/2.0\r\nVia: SIP/2.0/UDP invalid;branch=z9hG4bKsynscan;rport\r\n" "Max-Forwards: 70\r\nFrom: <sip:synscan@invalid>;tag=1\r\nTo: <sip:probe@invalid>\r\n" "Call-ID: synscan-probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
# mDNS (RFC 6762 s6.7, legacy unicast: the id is echoed): PTR _services._dns-sd._udp.local.
5353 "\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00" "\x09_services\x07_dns-sd\x04_udp\x05local\x00" "\x00\x0c\x00\x01" echo 0 0 2
# CoAP (RFC 7252): confirmable GET /.well-known/core. Message id echoed at offset 2.
5683 "\x40\x01\x00\x00\xbb.well-known\x04core" echo 2 2 2
# memcached UDP: frame header (request id echoed), then "version".
11211 "\x00\x00\x00\x00\x00\x01\x00\x00version\r\n" echo 0 0 2
)PAYLOADS";

[[noreturn]] void fail(const std::string& origin, int line, const std::string& why) {
  throw PayloadFileError(origin + ":" + std::to_string(line) + ": " + why);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses one C-style quoted string starting at text[position] == '"'; appends its bytes.
void parse_quoted(std::string_view text, std::size_t& position, std::vector<std::byte>& out,
                  const std::string& origin, int line) {
  ++position;
  while (position < text.size() && text[position] != '"') {
    char c = text[position++];
    if (c != '\\') {
      out.push_back(static_cast<std::byte>(c));
      continue;
    }
    if (position >= text.size()) fail(origin, line, "unterminated escape");
    const char escape = text[position++];
    switch (escape) {
      case 'n': out.push_back(std::byte{'\n'}); break;
      case 'r': out.push_back(std::byte{'\r'}); break;
      case 't': out.push_back(std::byte{'\t'}); break;
      case '0': out.push_back(std::byte{0}); break;
      case '\\': out.push_back(std::byte{'\\'}); break;
      case '"': out.push_back(std::byte{'"'}); break;
      case 'x': {
        if (position + 2 > text.size()) fail(origin, line, "\\x needs two hex digits");
        const int high = hex_value(text[position]), low = hex_value(text[position + 1]);
        if (high < 0 || low < 0) fail(origin, line, "\\x needs two hex digits");
        out.push_back(static_cast<std::byte>(high * 16 + low));
        position += 2;
        break;
      }
      default:
        fail(origin, line, std::string("unknown escape \\") + escape);
    }
  }
  if (position >= text.size()) fail(origin, line, "unterminated string");
  ++position;  // closing quote
}

std::vector<std::uint16_t> parse_ports(std::string_view text, const std::string& origin, int line) {
  std::vector<std::uint16_t> ports;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const std::size_t dash = item.find('-');
    const auto number = [&](std::string_view digits) {
      unsigned value = 0;
      const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || value > 65535) {
        fail(origin, line, "invalid port '" + std::string(item) + "'");
      }
      return static_cast<std::uint16_t>(value);
    };
    const std::uint16_t first = number(item.substr(0, dash));
    const std::uint16_t last = dash == std::string_view::npos ? first : number(item.substr(dash + 1));
    if (last < first) fail(origin, line, "reversed port range '" + std::string(item) + "'");
    for (unsigned port = first; port <= last; ++port) ports.push_back(static_cast<std::uint16_t>(port));
  }
  if (ports.empty()) fail(origin, line, "no ports");
  return ports;
}

}  // namespace

UdpPayloadTable::UdpPayloadTable() : payloads_(1), by_port_(65536, 0) { payloads_[0].name = "empty"; }

UdpPayloadTable UdpPayloadTable::builtin() {
  UdpPayloadTable table;
  table.load_text(kBuiltinPayloads, "built-in payloads");
  return table;
}

std::size_t UdpPayloadTable::add(UdpPayload payload) {
  payloads_.push_back(std::move(payload));
  return payloads_.size() - 1;
}

void UdpPayloadTable::load_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw PayloadFileError("cannot read UDP payload file '" + path + "'");
  std::ostringstream contents;
  contents << file.rdbuf();
  load_text(contents.str(), path);
}

void UdpPayloadTable::load_text(std::string_view text, const std::string& origin) {
  int line_number = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++line_number;
    std::size_t position = 0;
    const auto skip_space = [&] {
      while (position < line.size() && (line[position] == ' ' || line[position] == '\t' || line[position] == '\r'))
        ++position;
    };
    skip_space();
    if (position >= line.size() || line[position] == '#') continue;
    const std::size_t ports_end = line.find_first_of(" \t", position);
    if (ports_end == std::string_view::npos) fail(origin, line_number, "expected: <ports> \"<payload>\"");
    const std::vector<std::uint16_t> ports = parse_ports(line.substr(position, ports_end - position), origin, line_number);
    position = ports_end;
    UdpPayload payload;
    payload.name = "port " + std::to_string(ports.front());
    skip_space();
    if (position >= line.size() || line[position] != '"') fail(origin, line_number, "expected a quoted payload");
    while (position < line.size() && line[position] == '"') {
      parse_quoted(line, position, payload.bytes, origin, line_number);
      skip_space();
    }
    if (position < line.size() && line[position] != '#') {
      std::istringstream rest{std::string(line.substr(position))};
      std::string keyword;
      unsigned request_offset = 0, reply_offset = 0, width = 0;
      if (!(rest >> keyword >> request_offset >> reply_offset >> width) || keyword != "echo") {
        fail(origin, line_number, "expected 'echo <request-offset> <reply-offset> <width>' after the payload");
      }
      std::string trailing;
      if (rest >> trailing && trailing[0] != '#') fail(origin, line_number, "unexpected '" + trailing + "'");
      if (width != 2 && width != 4) fail(origin, line_number, "echo width must be 2 or 4");
      // Summed in 64 bits: istream reads "-2" into an unsigned as 4294967294, and a 32-bit sum
      // would wrap past the check.
      if (std::size_t{request_offset} + width > payload.bytes.size()) fail(origin, line_number, "echo field beyond the payload");
      if (reply_offset > 1400) fail(origin, line_number, "echo reply offset too large");
      payload.echo = {static_cast<std::uint16_t>(request_offset), static_cast<std::uint16_t>(reply_offset),
                      static_cast<std::uint8_t>(width)};
    }
    if (payload.bytes.size() > 1400) fail(origin, line_number, "payload larger than 1400 bytes");
    const std::size_t index = add(std::move(payload));
    for (std::uint16_t port : ports) by_port_[port] = static_cast<std::uint32_t>(index);
  }
}

const UdpPayload& UdpPayloadTable::for_port(std::uint16_t port) const noexcept {
  return payloads_[by_port_[port]];
}

void UdpPayloadTable::write_cookie(const UdpPayload& payload, std::span<std::byte> payload_bytes,
                                   std::uint32_t cookie) noexcept {
  const std::size_t offset = payload.echo.request_offset;
  if (payload.echo.width == 0 || offset + payload.echo.width > payload_bytes.size()) return;
  for (unsigned i = 0; i < payload.echo.width; ++i) {
    payload_bytes[offset + i] =
        static_cast<std::byte>(cookie >> (8 * (payload.echo.width - 1 - i)));
  }
}

EchoCheck UdpPayloadTable::check_echo(const UdpPayload& payload, std::span<const std::byte> reply_payload,
                                      std::uint32_t cookie) noexcept {
  if (payload.echo.width == 0) return EchoCheck::kNoEcho;
  const std::size_t offset = payload.echo.reply_offset;
  if (offset + payload.echo.width > reply_payload.size()) return EchoCheck::kMismatch;
  for (unsigned i = 0; i < payload.echo.width; ++i) {
    if (reply_payload[offset + i] != static_cast<std::byte>(cookie >> (8 * (payload.echo.width - 1 - i)))) {
      return EchoCheck::kMismatch;
    }
  }
  return EchoCheck::kMatch;
}

}  // namespace synscan::packet
