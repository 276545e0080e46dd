#pragma once
/// What the service stage (--banners) learned about one open TCP port, as the writers print it.
/// Every string is printable ASCII: the stage escapes what the server sent (service/identify.hpp),
/// so writers only apply their own format's escaping.
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace synscan::output {

struct HttpFacts {
  int status = 0;      ///< 200, 404, ...; 0 when the status line did not parse
  std::string server;  ///< the Server header
  std::string title;   ///< <title> of the body, whitespace collapsed
};

struct TlsFacts {
  std::string version;     ///< negotiated: "TLSv1.3"
  std::string cipher;      ///< "TLS_AES_256_GCM_SHA384"
  std::string subject_cn;  ///< certificate subject commonName
  std::string subject;     ///< the whole subject, "commonName=a/organizationName=b" (nmap's style)
  std::string issuer;      ///< the whole issuer, same style
  std::vector<std::string>
      alt_names;  ///< subjectAltName: "DNS:example.com", "IP Address:198.18.0.1"
  std::time_t not_before = 0;
  std::time_t not_after = 0;
};

/// One port's service facts. name/product/version/extrainfo follow nmap's <service> attributes.
struct ServiceFacts {
  std::uint16_t port = 0;
  std::string name;         ///< "ssh", "http", ...; empty when not identified
  std::string product;      ///< "OpenSSH"
  std::string version;      ///< "9.2p1"
  std::string extrainfo;    ///< "protocol 2.0"
  bool tunnel_ssl = false;  ///< spoke TLS first (nmap: tunnel="ssl")
  std::string banner;       ///< the first bytes, escaped (\r \n \t \\ \xHH), bounded
  std::string outcome;      ///< "banner", "silent", "closed-at-once", "refused", "timeout", ...
  std::optional<HttpFacts> http;
  std::optional<TlsFacts> tls;
};

/// nmap's ssl-cert script output for these facts (XML <script id="ssl-cert" output=...>).
[[nodiscard]] std::string ssl_cert_text(const TlsFacts& tls);
/// "2026-12-31T23:59:59" (UTC), as nmap's ssl-cert prints validity dates.
[[nodiscard]] std::string utc_timestamp(std::time_t when);

}  // namespace synscan::output
