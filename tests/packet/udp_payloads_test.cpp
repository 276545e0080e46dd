// UDP payloads: golden bytes assembled field by field from the protocol specs, cookie echo rules,
// and the payload file loader's error handling.
#include "packet/udp_payloads.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace synscan::packet {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int value : values) out.push_back(static_cast<std::byte>(value));
  return out;
}
void append(std::vector<std::byte>& out, const std::vector<std::byte>& more) {
  out.insert(out.end(), more.begin(), more.end());
}
void append_text(std::vector<std::byte>& out, std::string_view text) {
  for (char c : text) out.push_back(static_cast<std::byte>(c));
}
void append_u16(std::vector<std::byte>& out, unsigned value) { append(out, bytes_of({int(value >> 8), int(value & 0xFF)})); }
void append_u32(std::vector<std::byte>& out, std::uint32_t value) {
  append_u16(out, value >> 16);
  append_u16(out, value & 0xFFFF);
}
// A DNS name as labels (RFC 1035 3.1).
void append_name(std::vector<std::byte>& out, std::initializer_list<std::string_view> labels) {
  for (std::string_view label : labels) {
    out.push_back(static_cast<std::byte>(label.size()));
    append_text(out, label);
  }
  out.push_back(std::byte{0});
}

const UdpPayloadTable& table() {
  static const UdpPayloadTable instance = UdpPayloadTable::builtin();
  return instance;
}

TEST(UdpPayloads, DnsVersionBind) {
  std::vector<std::byte> expected;
  append_u16(expected, 0);       // id (cookie)
  append_u16(expected, 0x0100);  // standard query, recursion desired
  append_u16(expected, 1), append_u16(expected, 0), append_u16(expected, 0), append_u16(expected, 0);
  append_name(expected, {"version", "bind"});
  append_u16(expected, 16), append_u16(expected, 3);  // TXT, CHAOS
  EXPECT_EQ(table().for_port(53).bytes, expected);
  EXPECT_EQ(table().for_port(53).echo.width, 2);
}

TEST(UdpPayloads, NtpClientRequest) {
  const UdpPayload& ntp = table().for_port(123);
  ASSERT_EQ(ntp.bytes.size(), 48u);
  EXPECT_EQ(ntp.bytes[0], std::byte{0xe3});  // LI 3 (unsynchronised), version 4, mode 3 (client)
  EXPECT_EQ(ntp.echo.request_offset, 40);    // transmit timestamp ...
  EXPECT_EQ(ntp.echo.reply_offset, 24);      // ... comes back as origin timestamp
}

TEST(UdpPayloads, PortmapperNullCall) {
  std::vector<std::byte> expected;
  append_u32(expected, 0);        // xid (cookie)
  append_u32(expected, 0);        // CALL
  append_u32(expected, 2);        // RPC version
  append_u32(expected, 100000);   // portmapper
  append_u32(expected, 2);        // version
  append_u32(expected, 0);        // NULL procedure
  for (int i = 0; i < 4; ++i) append_u32(expected, 0);  // AUTH_NULL credentials and verifier
  EXPECT_EQ(table().for_port(111).bytes, expected);
}

TEST(UdpPayloads, NetbiosNodeStatus) {
  std::vector<std::byte> expected;
  append_u16(expected, 0), append_u16(expected, 0);
  append_u16(expected, 1), append_u16(expected, 0), append_u16(expected, 0), append_u16(expected, 0);
  // "*" padded with NULs to 16 bytes, first-level encoded (RFC 1001 14.1): '*' = 0x2A -> "CK".
  std::string encoded = "CK";
  for (int i = 0; i < 15; ++i) encoded += "AA";
  append_name(expected, {encoded});
  append_u16(expected, 0x21), append_u16(expected, 1);  // NBSTAT, IN
  EXPECT_EQ(table().for_port(137).bytes, expected);
}

TEST(UdpPayloads, SnmpGetSysDescr) {
  std::vector<std::byte> varbind = bytes_of({0x30, 0x0c, 0x06, 0x08, 0x2b, 6, 1, 2, 1, 1, 1, 0, 0x05, 0x00});
  std::vector<std::byte> varbinds = bytes_of({0x30, int(varbind.size())});
  append(varbinds, varbind);
  std::vector<std::byte> pdu_body = bytes_of({0x02, 0x04, 0, 0, 0, 0, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00});
  append(pdu_body, varbinds);
  std::vector<std::byte> message_body = bytes_of({0x02, 0x01, 0x01, 0x04, 0x06});
  append_text(message_body, "public");
  message_body.push_back(std::byte{0xa0});
  message_body.push_back(static_cast<std::byte>(pdu_body.size()));
  append(message_body, pdu_body);
  std::vector<std::byte> expected = bytes_of({0x30, int(message_body.size())});
  append(expected, message_body);
  EXPECT_EQ(table().for_port(161).bytes, expected);
}

TEST(UdpPayloads, IkeMainModeLengthsAgree) {
  const UdpPayload& ike = table().for_port(500);
  ASSERT_EQ(ike.bytes.size(), 80u);
  const auto u16 = [&](std::size_t at) { return (std::to_integer<unsigned>(ike.bytes[at]) << 8) | std::to_integer<unsigned>(ike.bytes[at + 1]); };
  EXPECT_EQ(u16(26), 80u);        // ISAKMP length (low half of the 32-bit field)
  EXPECT_EQ(u16(28 + 2), 52u);    // SA payload length
  EXPECT_EQ(u16(40 + 2), 40u);    // proposal length
  EXPECT_EQ(u16(48 + 2), 32u);    // transform length
}

TEST(UdpPayloads, TextPayloadsAndOthers) {
  const auto text_of = [](const UdpPayload& payload) {
    return std::string(reinterpret_cast<const char*>(payload.bytes.data()), payload.bytes.size());
  };
  EXPECT_EQ(text_of(table().for_port(1900)).rfind("M-SEARCH * HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(text_of(table().for_port(5060)).find("CSeq: 1 OPTIONS\r\n"), std::string::npos);
  EXPECT_EQ(text_of(table().for_port(69)), std::string("\0\1synscan-probe.txt\0octet\0", 26));
  std::vector<std::byte> mdns;
  append_u16(mdns, 0), append_u16(mdns, 0), append_u16(mdns, 1), append_u16(mdns, 0), append_u16(mdns, 0),
      append_u16(mdns, 0);
  append_name(mdns, {"_services", "_dns-sd", "_udp", "local"});
  append_u16(mdns, 12), append_u16(mdns, 1);
  EXPECT_EQ(table().for_port(5353).bytes, mdns);
  std::vector<std::byte> coap = bytes_of({0x40, 0x01, 0, 0, 0xbb});
  append_text(coap, ".well-known");
  coap.push_back(std::byte{0x04});
  append_text(coap, "core");
  EXPECT_EQ(table().for_port(5683).bytes, coap);
  std::vector<std::byte> memcached = bytes_of({0, 0, 0, 0, 0, 1, 0, 0});
  append_text(memcached, "version\r\n");
  EXPECT_EQ(table().for_port(11211).bytes, memcached);
  EXPECT_TRUE(table().for_port(9).bytes.empty());  // unknown port: empty datagram
}

TEST(UdpPayloads, CookieIsWrittenAndEchoChecked) {
  const UdpPayload& dns = table().for_port(53);
  std::vector<std::byte> request = dns.bytes;
  UdpPayloadTable::write_cookie(dns, request, 0xA1B2C3D4);
  EXPECT_EQ(request[0], std::byte{0xC3});
  EXPECT_EQ(request[1], std::byte{0xD4});
  EXPECT_EQ(UdpPayloadTable::check_echo(dns, request, 0xA1B2C3D4), EchoCheck::kMatch);
  EXPECT_EQ(UdpPayloadTable::check_echo(dns, request, 0xA1B2C3D5), EchoCheck::kMismatch);
  EXPECT_EQ(UdpPayloadTable::check_echo(dns, std::span<const std::byte>(request).first(1), 0xA1B2C3D4),
            EchoCheck::kMismatch);
  EXPECT_EQ(UdpPayloadTable::check_echo(table().for_port(1900), request, 1), EchoCheck::kNoEcho);

  const UdpPayload& ntp = table().for_port(123);
  std::vector<std::byte> ntp_request = ntp.bytes;
  UdpPayloadTable::write_cookie(ntp, ntp_request, 0x01020304);
  std::vector<std::byte> ntp_reply(48);
  std::copy(ntp_request.begin() + 40, ntp_request.begin() + 44, ntp_reply.begin() + 24);
  EXPECT_EQ(UdpPayloadTable::check_echo(ntp, ntp_reply, 0x01020304), EchoCheck::kMatch);
}

TEST(UdpPayloads, FileFormatAndErrors) {
  UdpPayloadTable loaded = UdpPayloadTable::builtin();
  loaded.load_text("# comment\n9,7000-7001 \"ab\\x00\" \"c\" echo 0 1 2  # trailing\n", "test");
  EXPECT_EQ(loaded.for_port(7001).bytes, bytes_of({'a', 'b', 0, 'c'}));
  EXPECT_EQ(loaded.for_port(9).echo.reply_offset, 1);
  const auto error_of = [](std::string_view text) -> std::string {
    UdpPayloadTable table = UdpPayloadTable::builtin();
    try {
      table.load_text(text, "f");
    } catch (const PayloadFileError& error) {
      return error.what();
    }
    return "";
  };
  EXPECT_EQ(error_of("70000 \"a\""), "f:1: invalid port '70000'");
  EXPECT_EQ(error_of("\n9 \"a"), "f:2: unterminated string");
  EXPECT_EQ(error_of("9 \"\\xZZ\""), "f:1: \\x needs two hex digits");
  EXPECT_EQ(error_of("9"), "f:1: expected: <ports> \"<payload>\"");
  EXPECT_EQ(error_of("9 \"ab\" echo 1 0 4"), "f:1: echo field beyond the payload");
  EXPECT_EQ(error_of("9-8 \"a\""), "f:1: reversed port range '9-8'");
  EXPECT_EQ(error_of("9 \"a\" junk"), "f:1: expected 'echo <request-offset> <reply-offset> <width>' after the payload");
  UdpPayloadTable table = UdpPayloadTable::builtin();
  EXPECT_THROW(table.load_file("/nonexistent/payloads"), PayloadFileError);
}

}  // namespace
}  // namespace synscan::packet
