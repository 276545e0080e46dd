#pragma once
// OpenSSL for the service stage: one client context (no verification: the stage reports
// certificates, it does not trust them), non-blocking handshakes, and the certificate facts.
#include <openssl/ssl.h>

#include <memory>

#include "output/service.hpp"

namespace synscan::service {

struct SslFree {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};
using SslSession = std::unique_ptr<SSL, SslFree>;

enum class TlsStep : std::uint8_t { kDone, kWantRead, kWantWrite, kClosed, kFailed };

class TlsClient {
 public:
  /// Throws std::runtime_error when OpenSSL cannot make a context.
  TlsClient();
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  /// A client session on a connected non-blocking socket; null when OpenSSL refuses.
  [[nodiscard]] SslSession session(int fd) const;

 private:
  SSL_CTX* context_;
};

/// One step of SSL_connect / SSL_read / SSL_write mapped to what the event loop waits for.
[[nodiscard]] TlsStep tls_handshake(SSL* ssl) noexcept;
/// Reads into `out` (appends at most `max` bytes); kDone when bytes were read.
[[nodiscard]] TlsStep tls_read(SSL* ssl, char* out, std::size_t max, std::size_t& got) noexcept;
[[nodiscard]] TlsStep tls_write(SSL* ssl, const char* data, std::size_t size,
                                std::size_t& sent) noexcept;

/// The negotiated version and cipher and the peer certificate's names and validity.
[[nodiscard]] output::TlsFacts tls_facts(SSL* ssl);

}  // namespace synscan::service
