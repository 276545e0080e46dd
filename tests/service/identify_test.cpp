#include "service/identify.hpp"

#include <gtest/gtest.h>

#include <string>

namespace synscan::service {
namespace {

output::ServiceFacts identified(std::uint16_t port, std::string_view bytes) {
  output::ServiceFacts facts;
  identify(port, bytes, facts);
  return facts;
}

TEST(Identify, OpenSshGreeting) {
  const auto facts = identified(22, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
  EXPECT_EQ(facts.name, "ssh");
  EXPECT_EQ(facts.product, "OpenSSH");
  EXPECT_EQ(facts.version, "9.2p1");
  EXPECT_EQ(facts.extrainfo, "protocol 2.0; Debian-2+deb12u3");
}

TEST(Identify, DropbearOnAnyPort) {
  const auto facts = identified(2222, "SSH-2.0-dropbear_2022.83\r\n");
  EXPECT_EQ(facts.name, "ssh");
  EXPECT_EQ(facts.product, "Dropbear sshd");
  EXPECT_EQ(facts.version, "2022.83");
  EXPECT_EQ(facts.extrainfo, "protocol 2.0");
}

TEST(Identify, SmtpGreetings) {
  auto facts = identified(25, "220 mx.example.org ESMTP Postfix (Debian/GNU)\r\n");
  EXPECT_EQ(facts.name, "smtp");
  EXPECT_EQ(facts.product, "Postfix smtpd");
  EXPECT_EQ(facts.extrainfo, "mx.example.org");
  facts =
      identified(2525, "220 mail.example.net ESMTP Exim 4.96 Wed, 02 Dec 2026 17:00:00 +0000\r\n");
  EXPECT_EQ(facts.name, "smtp");
  EXPECT_EQ(facts.product, "Exim smtpd");
  EXPECT_EQ(facts.version, "4.96");
  // A bare 220 on the SMTP port is SMTP; on 21 it is FTP.
  EXPECT_EQ(identified(587, "220 ready\r\n").name, "smtp");
  EXPECT_EQ(identified(21, "220 ready\r\n").name, "ftp");
}

TEST(Identify, FtpGreetings) {
  auto facts = identified(21, "220 (vsFTPd 3.0.3)\r\n");
  EXPECT_EQ(facts.name, "ftp");
  EXPECT_EQ(facts.product, "vsftpd");
  EXPECT_EQ(facts.version, "3.0.3");
  facts = identified(2121, "220 ProFTPD 1.3.8 Server (Debian) [::ffff:198.18.0.1]\r\n");
  EXPECT_EQ(facts.name, "ftp");
  EXPECT_EQ(facts.product, "ProFTPD");
  EXPECT_EQ(facts.version, "1.3.8");
}

TEST(Identify, MailboxGreetings) {
  auto facts = identified(110, "+OK Dovecot (Debian) ready.\r\n");
  EXPECT_EQ(facts.name, "pop3");
  EXPECT_EQ(facts.product, "Dovecot pop3d");
  facts = identified(
      143, "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS] Dovecot (Debian) ready.\r\n");
  EXPECT_EQ(facts.name, "imap");
  EXPECT_EQ(facts.product, "Dovecot imapd");
}

std::string mysql_packet(unsigned char kind, std::string_view payload) {
  const std::size_t length = payload.size() + 1;
  std::string packet;
  packet += static_cast<char>(length & 0xff);
  packet += static_cast<char>((length >> 8) & 0xff);
  packet += static_cast<char>((length >> 16) & 0xff);
  packet += '\0';
  packet += static_cast<char>(kind);
  packet += payload;
  return packet;
}

TEST(Identify, MysqlAndMariadbGreetings) {
  using namespace std::string_literals;
  const std::string mysql = mysql_packet(0x0a, "8.0.35\0\x08\0\0\0abcdefgh\0"s);
  EXPECT_TRUE(answer_complete(mysql));
  auto facts = identified(3306, mysql);
  EXPECT_EQ(facts.name, "mysql");
  EXPECT_EQ(facts.product, "MySQL");
  EXPECT_EQ(facts.version, "8.0.35");
  facts = identified(3306, mysql_packet(0x0a, "5.5.5-10.11.4-MariaDB-1~deb12u1\0\x08\0\0\0"s));
  EXPECT_EQ(facts.product, "MariaDB");
  EXPECT_EQ(facts.version, "10.11.4");
  facts = identified(3306, mysql_packet(0xff, "\x6a\x04Host '198.18.0.1' is not allowed"s));
  EXPECT_EQ(facts.name, "mysql");
  EXPECT_EQ(facts.extrainfo, "unauthorized");
  EXPECT_FALSE(answer_complete(mysql.substr(0, mysql.size() - 1)));
}

TEST(Identify, RedisAndMemcached) {
  const std::string info = "$40\r\n# Server\r\nredis_version:7.0.15\r\nredis_mode:x\r\n\r\n";
  auto facts = identified(6379, info);
  EXPECT_EQ(facts.name, "redis");
  EXPECT_EQ(facts.version, "7.0.15");
  EXPECT_EQ(identified(6379, "-NOAUTH Authentication required.\r\n").extrainfo, "access denied");
  facts = identified(11211, "VERSION 1.6.18\r\n");
  EXPECT_EQ(facts.name, "memcached");
  EXPECT_EQ(facts.product, "Memcached");
  EXPECT_EQ(facts.version, "1.6.18");
}

TEST(Identify, HttpServerHeaderAndTitle) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nDate: x\r\nserver: Apache/2.4.57 (Debian)\r\nContent-Length: 60\r\n\r\n"
      "<html><head><TITLE>\n  Lab   page\t</TITLE></head></html>";
  const auto facts = identified(8080, response);
  EXPECT_EQ(facts.name, "http");
  EXPECT_EQ(facts.product, "Apache httpd");
  EXPECT_EQ(facts.version, "2.4.57");
  EXPECT_EQ(facts.extrainfo, "(Debian)");
  ASSERT_TRUE(facts.http);
  EXPECT_EQ(facts.http->status, 200);
  EXPECT_EQ(facts.http->server, "Apache/2.4.57 (Debian)");
  EXPECT_EQ(facts.http->title, "Lab page");
  EXPECT_TRUE(answer_complete(response));
}

TEST(Identify, HttpWithoutHeadersEndOrTitle) {
  const auto http = parse_http("HTTP/1.0 404 Not Found\r\nServer: nginx/1.22.1\r\n");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 404);
  EXPECT_EQ(http->server, "nginx/1.22.1");
  EXPECT_EQ(http->title, "");
  EXPECT_FALSE(parse_http("SSH-2.0-x\r\n"));
  EXPECT_EQ(parse_http("HTTP/1.1 2x0 OK\r\n\r\n")->status, 0);
  EXPECT_FALSE(answer_complete("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"));
  EXPECT_TRUE(answer_complete("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nshort"));
}

TEST(Identify, OtherGreetingsAndJunk) {
  EXPECT_EQ(identified(5900, "RFB 003.008\n").name, "vnc");
  EXPECT_EQ(identified(23, "\xff\xfd\x18\xff\xfd\x20").name, "telnet");
  const auto junk = identified(9999, std::string("\x00\x01\x02\xfe binary", 12));
  EXPECT_EQ(junk.name, "");
  EXPECT_EQ(junk.product, "");
}

TEST(Identify, ContinuationLinesAreNotComplete) {
  EXPECT_FALSE(answer_complete("220-first line\r\n"));
  EXPECT_TRUE(answer_complete("220-first line\r\n220 last line\r\n"));
  EXPECT_TRUE(answer_complete("SSH-2.0-x\r\n"));
  EXPECT_FALSE(answer_complete("SSH-2.0-x"));
}

TEST(Escape, PrintableOnlyAndBounded) {
  EXPECT_EQ(escape_bytes(std::string("a\r\n\t\\\x00\xff", 7), 100), "a\\r\\n\\t\\\\\\x00\\xff");
  EXPECT_EQ(escape_bytes("abcdef", 3), "abc...");
  EXPECT_EQ(clean_text("  a \x01 b\n\nc  ", 100), "a b c");
  EXPECT_EQ(clean_text("abcdef", 4), "abcd");
}

TEST(PortPlan, WellKnownPorts) {
  EXPECT_TRUE(plan_for_port(443).tls);
  EXPECT_EQ(plan_for_port(443).dialect, Dialect::kHttp);
  EXPECT_TRUE(plan_for_port(993).tls);
  EXPECT_EQ(plan_for_port(993).dialect, Dialect::kListen);
  EXPECT_EQ(plan_for_port(80).dialect, Dialect::kHttp);
  EXPECT_FALSE(plan_for_port(80).tls);
  EXPECT_EQ(plan_for_port(6379).dialect, Dialect::kRedis);
  EXPECT_EQ(plan_for_port(11211).dialect, Dialect::kMemcached);
  EXPECT_EQ(plan_for_port(22).dialect, Dialect::kListen);
  EXPECT_EQ(request_for(Dialect::kMemcached), "version\r\n");
}

}  // namespace
}  // namespace synscan::service
