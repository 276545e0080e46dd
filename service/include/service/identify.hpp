#pragma once
/// The service stage's parsers: pure functions over the bytes a server sent. They never trust
/// the input: any bytes, of any length, give a bounded, printable result (fuzzed in fuzz/).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "output/service.hpp"

namespace synscan::service {

/// What the stage says to a port after connecting (and after the TLS handshake, for TLS ports).
enum class Dialect : std::uint8_t {
  kListen,     ///< wait for the server to speak first; if it stays quiet, send an HTTP GET
  kHttp,       ///< GET / at once (HTTP servers never speak first)
  kRedis,      ///< "INFO server" (read-only)
  kMemcached,  ///< "version"
};

struct PortPlan {
  bool tls = false;  ///< handshake first (443, 465, 993, 995, 8443, ...)
  Dialect dialect = Dialect::kListen;
};

/// The conversation for a port number: well-known TLS and HTTP ports, Redis and memcached;
/// every other port listens first.
[[nodiscard]] PortPlan plan_for_port(std::uint16_t port) noexcept;

/// The request the stage sends for a dialect (kListen sends the HTTP request after its silence).
[[nodiscard]] std::string_view request_for(Dialect dialect) noexcept;

/// True when `bytes` hold a whole answer of the kind they look like (a greeting line that is not
/// a continuation, HTTP headers plus the title or the whole body, a MySQL packet): the stage stops
/// reading then instead of waiting for the server to go quiet.
[[nodiscard]] bool answer_complete(std::string_view bytes) noexcept;

/// Fills name, product, version, extrainfo (and http) from what the server sent. `port` breaks
/// ties (a "220 " greeting is FTP or SMTP); `tls` marks a TLS tunnel (name "https" style ports
/// keep nmap's name "http" with tunnel ssl).
void identify(std::uint16_t port, std::string_view bytes, output::ServiceFacts& facts);

/// An HTTP response's status, Server header and <title>. Nullopt when `bytes` do not start with
/// "HTTP/". Fields are escaped and bounded.
[[nodiscard]] std::optional<output::HttpFacts> parse_http(std::string_view bytes);

/// Printable ASCII for any bytes: \r \n \t \\ and \xHH for the rest; at most `max_bytes` input
/// bytes are taken (a "..." marks a cut).
[[nodiscard]] std::string escape_bytes(std::string_view bytes, std::size_t max_bytes);

/// Printable text from server text: control and non-ASCII bytes dropped, whitespace collapsed,
/// trimmed, at most `max_chars`.
[[nodiscard]] std::string clean_text(std::string_view text, std::size_t max_chars);

}  // namespace synscan::service
