// Service identification from the first bytes: which protocol spoke, and the product and version
// its greeting names. Pattern checks are prefix and word searches over bounded input, no regex.
#include "service/identify.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace synscan::service {
namespace {

constexpr std::size_t kFieldChars = 80;

constexpr std::array<std::uint16_t, 8> kTlsHttpPorts = {443,  2376, 4443, 5986,
                                                        6443, 8443, 9443, 10250};
constexpr std::array<std::uint16_t, 7> kTlsListenPorts = {465, 636, 990, 992, 993, 994, 995};
constexpr std::array<std::uint16_t, 18> kHttpPorts = {80,   81,   591,  2375, 2379, 3000,
                                                      5000, 5601, 7001, 8000, 8008, 8080,
                                                      8081, 8088, 8888, 9000, 9090, 9200};

template <std::size_t N>
bool listed(const std::array<std::uint16_t, N>& ports, std::uint16_t port) noexcept {
  return std::find(ports.begin(), ports.end(), port) != ports.end();
}

bool starts_with(std::string_view text, std::string_view prefix) noexcept {
  return text.substr(0, prefix.size()) == prefix;
}

// Case-insensitive search of a needle given in lower case.
std::size_t ifind(std::string_view haystack, std::string_view needle) noexcept {
  if (needle.empty() || haystack.size() < needle.size()) return std::string_view::npos;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    bool same = true;
    for (std::size_t j = 0; j < needle.size() && same; ++j) {
      same = std::tolower(static_cast<unsigned char>(haystack[i + j])) == needle[j];
    }
    if (same) return i;
  }
  return std::string_view::npos;
}

bool contains(std::string_view haystack, std::string_view lower_needle) noexcept {
  return ifind(haystack, lower_needle) != std::string_view::npos;
}

std::string_view first_line(std::string_view bytes) noexcept {
  const std::size_t end = bytes.find_first_of("\r\n");
  return end == std::string_view::npos ? bytes : bytes.substr(0, end);
}

bool version_char(char c) noexcept {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
         c == '+' || c == '~';
}

// The version-looking word right after `marker` (case-insensitive), e.g. "Exim " -> "4.96".
std::string version_after(std::string_view text, std::string_view lower_marker) {
  const std::size_t at = ifind(text, lower_marker);
  if (at == std::string_view::npos) return {};
  std::size_t start = at + lower_marker.size();
  std::size_t end = start;
  while (end < text.size() && version_char(text[end])) ++end;
  const std::string_view word = text.substr(start, end - start);
  if (word.empty() || !std::isdigit(static_cast<unsigned char>(word.front()))) return {};
  return clean_text(word, kFieldChars);
}

void set(output::ServiceFacts& facts, std::string_view name, std::string_view product,
         std::string version = {}, std::string extrainfo = {}) {
  facts.name = name;
  facts.product = product;
  facts.version = std::move(version);
  facts.extrainfo = std::move(extrainfo);
}

void identify_ssh(std::string_view line, output::ServiceFacts& facts) {
  // SSH-protoversion-softwareversion SP comments (RFC 4253 4.2)
  const std::string_view rest = line.substr(4);
  const std::size_t dash = rest.find('-');
  const std::string_view protocol = rest.substr(0, dash);
  const std::string_view after =
      dash == std::string_view::npos ? std::string_view{} : rest.substr(dash + 1);
  const std::size_t space = after.find(' ');
  const std::string_view software = after.substr(0, space);
  const std::string_view comment =
      space == std::string_view::npos ? std::string_view{} : after.substr(space + 1);
  const std::size_t underscore = software.find('_');
  std::string product = clean_text(software.substr(0, underscore), kFieldChars);
  std::string version = underscore == std::string_view::npos
                            ? std::string{}
                            : clean_text(software.substr(underscore + 1), kFieldChars);
  if (contains(product, "dropbear")) product = "Dropbear sshd";
  std::string extrainfo = "protocol " + clean_text(protocol, 16);
  if (!comment.empty()) extrainfo += "; " + clean_text(comment, kFieldChars);
  set(facts, "ssh", product, std::move(version), std::move(extrainfo));
}

void identify_http(std::string_view bytes, output::ServiceFacts& facts) {
  facts.http = parse_http(bytes);
  facts.name = "http";
  if (!facts.http || facts.http->server.empty()) return;
  const std::string& server = facts.http->server;
  const std::size_t space = server.find(' ');
  const std::string_view first = std::string_view(server).substr(0, space);
  const std::size_t slash = first.find('/');
  std::string product(first.substr(0, slash));
  if (slash != std::string_view::npos) facts.version = first.substr(slash + 1);
  if (space != std::string::npos) facts.extrainfo = server.substr(space + 1);
  if (product == "Apache") product = "Apache httpd";
  if (product == "SimpleHTTP") product = "SimpleHTTPServer";
  facts.product = product;
}

// Protocol 10 handshake (or an error packet): 3-byte length, sequence 0, then 0x0a and the
// NUL-terminated server version, or 0xff and an error code.
bool identify_mysql(std::string_view bytes, output::ServiceFacts& facts) {
  if (bytes.size() < 6 || bytes[3] != '\0') return false;
  const auto length = static_cast<std::size_t>(static_cast<unsigned char>(bytes[0])) |
                      static_cast<std::size_t>(static_cast<unsigned char>(bytes[1])) << 8 |
                      static_cast<std::size_t>(static_cast<unsigned char>(bytes[2])) << 16;
  if (length < 2 || length > 1024) return false;
  if (static_cast<unsigned char>(bytes[4]) == 0xff) {
    set(facts, "mysql", "MySQL", {}, "unauthorized");
    return true;
  }
  if (bytes[4] != '\x0a') return false;
  const std::string_view payload = bytes.substr(5, std::min(length - 1, bytes.size() - 5));
  const std::string_view server = payload.substr(0, payload.find('\0'));
  if (server.empty() || !std::isdigit(static_cast<unsigned char>(server.front()))) return false;
  const std::size_t maria = ifind(server, "-mariadb");
  if (maria != std::string_view::npos) {
    std::string_view version = server.substr(0, maria);
    if (starts_with(version, "5.5.5-")) version.remove_prefix(6);  // MariaDB's replication prefix
    set(facts, "mysql", "MariaDB", clean_text(version, kFieldChars));
  } else {
    const std::size_t dash = server.find('-');
    set(facts, "mysql", "MySQL", clean_text(server.substr(0, dash), kFieldChars),
        dash == std::string_view::npos ? std::string{}
                                       : clean_text(server.substr(dash + 1), kFieldChars));
  }
  return true;
}

void identify_mail_or_ftp(std::uint16_t port, std::string_view bytes, output::ServiceFacts& facts) {
  const std::string_view line = first_line(bytes);
  const bool smtp = contains(line, "smtp") || contains(line, "postfix") || contains(line, "exim") ||
                    ((port == 25 || port == 465 || port == 587) && !contains(line, "ftp"));
  if (smtp) {
    facts.name = "smtp";
    if (contains(line, "postfix"))
      facts.product = "Postfix smtpd";
    else if (contains(line, "exim"))
      set(facts, "smtp", "Exim smtpd", version_after(line, "exim "));
    else if (contains(line, "sendmail"))
      set(facts, "smtp", "Sendmail", version_after(line, "sendmail "));
    else if (contains(line, "opensmtpd"))
      facts.product = "OpenSMTPD";
    else if (contains(line, "microsoft"))
      facts.product = "Microsoft ESMTP";
    // "220 mail.example.com ESMTP ...": the host name the server gives itself.
    const std::string_view after = line.size() > 4 ? line.substr(4) : std::string_view{};
    const std::string_view host = after.substr(0, after.find(' '));
    if (host.find('.') != std::string_view::npos) facts.extrainfo = clean_text(host, kFieldChars);
    return;
  }
  facts.name = "ftp";
  if (contains(line, "vsftpd"))
    set(facts, "ftp", "vsftpd", version_after(line, "vsftpd "));
  else if (contains(line, "proftpd"))
    set(facts, "ftp", "ProFTPD", version_after(line, "proftpd "));
  else if (contains(line, "pure-ftpd"))
    facts.product = "Pure-FTPd";
  else if (contains(line, "filezilla"))
    set(facts, "ftp", "FileZilla ftpd", version_after(line, "filezilla server "));
  else if (contains(line, "microsoft ftp"))
    facts.product = "Microsoft ftpd";
}

void identify_pop_imap(std::string_view bytes, output::ServiceFacts& facts, bool pop) {
  const std::string_view line = first_line(bytes);
  facts.name = pop ? "pop3" : "imap";
  if (contains(line, "dovecot"))
    facts.product = pop ? "Dovecot pop3d" : "Dovecot imapd";
  else if (contains(line, "courier"))
    facts.product = pop ? "Courier pop3d" : "Courier Imapd";
  else if (contains(line, "cyrus"))
    facts.product = pop ? "Cyrus pop3d" : "Cyrus imapd";
}

bool identify_key_value(std::uint16_t port, std::string_view bytes, output::ServiceFacts& facts) {
  const std::string redis_version = version_after(bytes, "redis_version:");
  if (!redis_version.empty()) {
    set(facts, "redis", "Redis key-value store", redis_version);
    return true;
  }
  if (starts_with(bytes, "-NOAUTH") || starts_with(bytes, "-DENIED") ||
      (port == 6379 && (starts_with(bytes, "-ERR") || starts_with(bytes, "$")))) {
    set(facts, "redis", "Redis key-value store", {},
        starts_with(bytes, "-") ? "access denied" : "");
    return true;
  }
  if (starts_with(bytes, "VERSION ")) {
    set(facts, "memcached", "Memcached", version_after(bytes, "version "));
    return true;
  }
  return false;
}

}  // namespace

PortPlan plan_for_port(std::uint16_t port) noexcept {
  if (listed(kTlsHttpPorts, port)) return {true, Dialect::kHttp};
  if (listed(kTlsListenPorts, port)) return {true, Dialect::kListen};
  if (listed(kHttpPorts, port)) return {false, Dialect::kHttp};
  if (port == 6379) return {false, Dialect::kRedis};
  if (port == 11211) return {false, Dialect::kMemcached};
  return {false, Dialect::kListen};
}

std::string_view request_for(Dialect dialect) noexcept {
  switch (dialect) {
    case Dialect::kRedis:
      return "INFO server\r\n";
    case Dialect::kMemcached:
      return "version\r\n";
    case Dialect::kListen:
    case Dialect::kHttp:
      break;
  }
  return "GET / HTTP/1.0\r\nUser-Agent: synscan\r\nAccept: */*\r\nConnection: close\r\n\r\n";
}

void identify(std::uint16_t port, std::string_view bytes, output::ServiceFacts& facts) {
  if (bytes.empty()) return;
  if (starts_with(bytes, "SSH-")) return identify_ssh(first_line(bytes), facts);
  if (starts_with(bytes, "HTTP/")) return identify_http(bytes, facts);
  if (identify_mysql(bytes, facts)) return;
  if (starts_with(bytes, "+OK")) return identify_pop_imap(bytes, facts, true);
  if (starts_with(bytes, "* OK") || starts_with(bytes, "* PREAUTH"))
    return identify_pop_imap(bytes, facts, false);
  if (starts_with(bytes, "220")) return identify_mail_or_ftp(port, bytes, facts);
  if (identify_key_value(port, bytes, facts)) return;
  if (starts_with(bytes, "RFB ")) {
    const std::string_view line = first_line(bytes);
    const std::string major = version_after(line, "rfb ");
    set(facts, "vnc", "VNC", {}, major.empty() ? std::string{} : "protocol " + major);
    return;
  }
  if (static_cast<unsigned char>(bytes[0]) == 0xff && bytes.size() >= 2 &&
      static_cast<unsigned char>(bytes[1]) >= 0xfb) {
    facts.name = "telnet";  // IAC WILL/WONT/DO/DONT: option negotiation
  }
}

bool answer_complete(std::string_view bytes) noexcept {
  if (bytes.empty()) return false;
  if (starts_with(bytes, "HTTP/")) {
    const std::size_t header_end = bytes.find("\r\n\r\n");
    if (header_end == std::string_view::npos) return false;
    const std::string_view body = bytes.substr(header_end + 4);
    if (contains(body, "</title")) return true;
    const std::size_t length_at = ifind(bytes.substr(0, header_end), "\ncontent-length:");
    if (length_at == std::string_view::npos) return false;
    std::size_t at = length_at + 16;
    while (at < header_end && bytes[at] == ' ') ++at;
    std::size_t length = 0;
    for (; at < header_end && std::isdigit(static_cast<unsigned char>(bytes[at])) &&
           length < (1u << 30);
         ++at) {
      length = length * 10 + static_cast<std::size_t>(bytes[at] - '0');
    }
    return body.size() >= length;
  }
  if (bytes.size() >= 5 && bytes[3] == '\0' &&
      (bytes[4] == '\x0a' || static_cast<unsigned char>(bytes[4]) == 0xff)) {
    const auto length = static_cast<std::size_t>(static_cast<unsigned char>(bytes[0])) |
                        static_cast<std::size_t>(static_cast<unsigned char>(bytes[1])) << 8 |
                        static_cast<std::size_t>(static_cast<unsigned char>(bytes[2])) << 16;
    return bytes.size() >= length + 4;
  }
  if (bytes[0] == '$') {  // a Redis bulk string: "$<n>\r\n" then n bytes and "\r\n"
    const std::size_t header_end = bytes.find("\r\n");
    if (header_end == std::string_view::npos) return false;
    std::size_t length = 0;
    for (std::size_t i = 1; i < header_end && length < (1u << 30); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(bytes[i]))) return true;  // "$-1": no value
      length = length * 10 + static_cast<std::size_t>(bytes[i] - '0');
    }
    return bytes.size() >= header_end + 2 + length + 2;
  }
  if (bytes.back() != '\n') return false;
  // A text greeting: complete at a line end unless the last line is a continuation ("220-...").
  const std::size_t previous = bytes.find_last_of('\n', bytes.size() - 2);
  const std::string_view last =
      previous == std::string_view::npos ? bytes : bytes.substr(previous + 1);
  const bool continuation = last.size() >= 4 && std::isdigit(static_cast<unsigned char>(last[0])) &&
                            std::isdigit(static_cast<unsigned char>(last[1])) &&
                            std::isdigit(static_cast<unsigned char>(last[2])) && last[3] == '-';
  return !continuation;
}

}  // namespace synscan::service
