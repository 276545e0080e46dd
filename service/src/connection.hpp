#pragma once
// One service-stage connection: its socket, optional TLS session, phase and deadlines. Owned and
// driven by the loop thread only (banner_stage.cpp).
#include <unistd.h>

#include <chrono>
#include <string>
#include <utility>

#include "service/banner_stage.hpp"
#include "service/identify.hpp"
#include "tls.hpp"

namespace synscan::service {

using Clock = std::chrono::steady_clock;

class SocketFd {
 public:
  SocketFd() = default;
  explicit SocketFd(int fd) noexcept : fd_(fd) {}
  ~SocketFd() { reset(); }
  SocketFd(SocketFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  SocketFd& operator=(SocketFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

enum class Phase : std::uint8_t {
  kConnecting,   ///< non-blocking connect in progress (wait writable)
  kHandshaking,  ///< TLS handshake
  kListening,    ///< connected; waiting for the server to speak first
  kWriting,      ///< sending our request
  kReading,      ///< request sent; reading the answer
};

struct Connection {
  SocketFd socket;
  SslSession ssl;  // declared after the socket: freed first
  Target target;
  PortPlan plan;
  Phase phase = Phase::kConnecting;
  std::uint32_t events = 0;  ///< the epoll mask registered now
  Clock::time_point started;
  Clock::time_point connected;
  Clock::time_point phase_started;
  Clock::time_point last_byte;
  std::string answer;
  std::string_view request;
  std::size_t request_sent = 0;
  bool spoke_first = false;
  std::optional<output::TlsFacts> tls;
};

}  // namespace synscan::service
