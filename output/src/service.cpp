#include "output/service.hpp"

#include <cstdio>

namespace synscan::output {

std::string utc_timestamp(std::time_t when) {
  std::tm parts{};
  if (::gmtime_r(&when, &parts) == nullptr) return "unknown";
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
  return text;
}

// The lines of nmap's ssl-cert script that the stage knows, in nmap's order and spelling, then
// the negotiated protocol (nmap reports that in ssl-enum-ciphers; one line here).
std::string ssl_cert_text(const TlsFacts& tls) {
  std::string text = "Subject: " + tls.subject;
  if (!tls.alt_names.empty()) {
    text += "\nSubject Alternative Name: ";
    for (std::size_t i = 0; i < tls.alt_names.size(); ++i)
      text += (i ? ", " : "") + tls.alt_names[i];
  }
  text += "\nIssuer: " + tls.issuer;
  text += "\nNot valid before: " + utc_timestamp(tls.not_before);
  text += "\nNot valid after:  " + utc_timestamp(tls.not_after);
  text += "\nNegotiated: " + tls.version;
  if (!tls.cipher.empty()) text += ' ' + tls.cipher;
  return text;
}

}  // namespace synscan::output
