#include "tls.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <stdexcept>
#include <string>

#include "service/identify.hpp"

namespace synscan::service {
namespace {

constexpr std::size_t kNameChars = 200;

TlsStep step_of(SSL* ssl, int result) noexcept {
  switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
      return TlsStep::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return TlsStep::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return TlsStep::kClosed;
    default:
      ERR_clear_error();  // the queue is per thread: leave it empty for the next connection
      return TlsStep::kFailed;
  }
}

std::string entry_text(X509_NAME_ENTRY* entry) {
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return {};
  std::string text(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return clean_text(text, kNameChars);
}

// "commonName=x/organizationName=y" in the certificate's order (nmap's ssl-cert style).
std::string name_text(X509_NAME* name) {
  std::string text;
  const int count = X509_NAME_entry_count(name);
  for (int i = 0; i < count && text.size() < 4 * kNameChars; ++i) {
    X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    if (!text.empty()) text += '/';
    text += nid == NID_undef ? "unknown" : OBJ_nid2ln(nid);
    text += '=' + entry_text(entry);
  }
  return text;
}

std::string common_name(X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  return index < 0 ? std::string{} : entry_text(X509_NAME_get_entry(name, index));
}

std::time_t time_of(const ASN1_TIME* when) noexcept {
  std::tm parts{};
  if (when == nullptr || ASN1_TIME_to_tm(when, &parts) != 1) return 0;
  return ::timegm(&parts);
}

std::vector<std::string> alt_names(X509* certificate) {
  std::vector<std::string> names;
  auto* general = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (general == nullptr) return names;
  const int count = sk_GENERAL_NAME_num(general);
  for (int i = 0; i < count && names.size() < 64; ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(general, i);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* dns = name->d.dNSName;
      names.push_back(
          "DNS:" +
          clean_text(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                      static_cast<std::size_t>(ASN1_STRING_length(dns))),
                     kNameChars));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      const unsigned char* bytes = ASN1_STRING_get0_data(ip);
      if (ASN1_STRING_length(ip) == 4) {
        names.push_back("IP Address:" + std::to_string(bytes[0]) + '.' + std::to_string(bytes[1]) +
                        '.' + std::to_string(bytes[2]) + '.' + std::to_string(bytes[3]));
      }
    }
  }
  GENERAL_NAMES_free(general);
  return names;
}

}  // namespace

TlsClient::TlsClient() : context_(SSL_CTX_new(TLS_client_method())) {
  if (context_ == nullptr) throw std::runtime_error("OpenSSL: cannot create a TLS client context");
  // Report whatever the server offers, old protocols and weak keys included: nothing is trusted.
  SSL_CTX_set_verify(context_, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_security_level(context_, 0);
  SSL_CTX_set_min_proto_version(context_, TLS1_VERSION);
  SSL_CTX_set_options(context_, SSL_OP_LEGACY_SERVER_CONNECT);
}

TlsClient::~TlsClient() {
  SSL_CTX_free(context_);
}

SslSession TlsClient::session(int fd) const {
  SslSession ssl(SSL_new(context_));
  if (ssl && SSL_set_fd(ssl.get(), fd) != 1) ssl.reset();
  if (ssl) SSL_set_connect_state(ssl.get());
  return ssl;
}

TlsStep tls_handshake(SSL* ssl) noexcept {
  const int result = SSL_do_handshake(ssl);
  return result == 1 ? TlsStep::kDone : step_of(ssl, result);
}

TlsStep tls_read(SSL* ssl, char* out, std::size_t max, std::size_t& got) noexcept {
  got = 0;
  const int result = SSL_read_ex(ssl, out, max, &got);
  return result == 1 ? TlsStep::kDone : step_of(ssl, result);
}

TlsStep tls_write(SSL* ssl, const char* data, std::size_t size, std::size_t& sent) noexcept {
  sent = 0;
  const int result = SSL_write_ex(ssl, data, size, &sent);
  return result == 1 ? TlsStep::kDone : step_of(ssl, result);
}

output::TlsFacts tls_facts(SSL* ssl) {
  output::TlsFacts facts;
  facts.version = SSL_get_version(ssl);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl))
    facts.cipher = SSL_CIPHER_get_name(cipher);
  X509* certificate = SSL_get1_peer_certificate(ssl);
  if (certificate == nullptr) return facts;
  facts.subject_cn = common_name(X509_get_subject_name(certificate));
  facts.subject = name_text(X509_get_subject_name(certificate));
  facts.issuer = name_text(X509_get_issuer_name(certificate));
  facts.alt_names = alt_names(certificate);
  facts.not_before = time_of(X509_get0_notBefore(certificate));
  facts.not_after = time_of(X509_get0_notAfter(certificate));
  X509_free(certificate);
  return facts;
}

}  // namespace synscan::service
