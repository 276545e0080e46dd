// The event loop against servers of this test process on loopback addresses (127.0.0.x): no
// namespace and no root needed. Each server behaves one way (greets, stays silent, never stops,
// trickles, resets, speaks HTTP or TLS) and the results and the stage's bounds are checked.
#include "service/banner_stage.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace synscan::service {
namespace {

using namespace std::chrono_literals;
using Behavior = std::function<void(int fd, const std::stop_token& stop)>;

constexpr std::uint32_t kLoopback = 0x7f000001;

bool wait_readable(int fd, int milliseconds) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, milliseconds) > 0;
}

void send_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t sent = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (sent <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(sent));
  }
}

// Holds the peer open until it closes or the server stops.
void hold(int fd, const std::stop_token& stop) {
  char buffer[512];
  while (!stop.stop_requested()) {
    if (wait_readable(fd, 20) && ::recv(fd, buffer, sizeof buffer, 0) <= 0) return;
  }
}

// A listener on 127.0.0.x with one thread per accepted connection running `behavior`.
class LoopbackServer {
 public:
  LoopbackServer(std::uint32_t address, Behavior behavior) : behavior_(std::move(behavior)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in bound{};
    bound.sin_family = AF_INET;
    bound.sin_addr.s_addr = htonl(address);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&bound), sizeof bound) != 0 ||
        ::listen(listener_, 1024) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
    }
    socklen_t length = sizeof bound;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &length);
    target_ = {address, ntohs(bound.sin_port)};
    acceptor_ = std::jthread([this](std::stop_token stop) { accept_loop(stop); });
  }
  ~LoopbackServer() {
    acceptor_.request_stop();
    acceptor_.join();
    for (auto& thread : connections_) thread.request_stop();
    connections_.clear();  // joins
    ::close(listener_);
  }
  [[nodiscard]] Target target() const { return target_; }
  [[nodiscard]] int accepted() const { return accepted_.load(); }
  [[nodiscard]] std::vector<std::uint16_t> peer_ports() const {
    const std::lock_guard lock(peers_mutex_);
    return peer_ports_;
  }

 private:
  void accept_loop(const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      if (!wait_readable(listener_, 20)) continue;
      sockaddr_in peer{};
      socklen_t peer_length = sizeof peer;
      const int fd = ::accept4(listener_, reinterpret_cast<sockaddr*>(&peer), &peer_length, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      {
        const std::lock_guard lock(peers_mutex_);
        peer_ports_.push_back(ntohs(peer.sin_port));
      }
      connections_.emplace_back([this, fd](std::stop_token connection_stop) {
        behavior_(fd, connection_stop);
        ::close(fd);
      });
    }
  }

  Behavior behavior_;
  int listener_ = -1;
  Target target_;
  std::atomic<int> accepted_{0};
  mutable std::mutex peers_mutex_;
  std::vector<std::uint16_t> peer_ports_;
  std::vector<std::jthread> connections_;
  std::jthread acceptor_;
};

Limits quick_limits() {
  Limits limits;
  limits.connect_timeout = 1000ms;
  limits.quiet_before_probe = 200ms;
  limits.read_timeout = 500ms;
  limits.idle_after_bytes = 200ms;
  limits.total_timeout = 1500ms;
  limits.max_answer_bytes = 4096;
  return limits;
}

std::vector<BannerResult> run_all(BannerStage& stage, std::size_t count,
                                  std::chrono::milliseconds budget = 10s) {
  std::vector<BannerResult> all;
  const auto deadline = std::chrono::steady_clock::now() + budget;
  while (all.size() < count && std::chrono::steady_clock::now() < deadline) {
    stage.wait_for_results(100ms);
    for (auto& result : stage.take_results()) all.push_back(std::move(result));
  }
  return all;
}

BannerResult run_one(const Limits& limits, const Target& target) {
  BannerStage stage(limits);
  stage.submit(target);
  auto results = run_all(stage, 1);
  if (results.size() != 1) {
    ADD_FAILURE() << "no result";
    return {};
  }
  EXPECT_EQ(stage.outstanding(), 0u);
  return std::move(results.front());
}

TEST(BannerStage, GreetingIsReadAndIdentified) {
  LoopbackServer server(kLoopback, [](int fd, const std::stop_token& stop) {
    send_all(fd, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
    hold(fd, stop);
  });
  Limits limits = quick_limits();
  limits.idle_after_bytes = 3000ms;
  limits.total_timeout = 6000ms;
  const BannerResult result = run_one(limits, server.target());
  EXPECT_EQ(result.outcome, Outcome::kAnswered);
  EXPECT_TRUE(result.spoke_first);
  EXPECT_EQ(result.facts.name, "ssh");
  EXPECT_EQ(result.facts.version, "9.2p1");
  EXPECT_EQ(result.facts.banner, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\\r\\n");
  EXPECT_EQ(result.facts.outcome, "answered");
  // A complete greeting ends the connection at once, not after the 3 s quiet period.
  EXPECT_LT(result.total_time, 2000ms);
}

TEST(BannerStage, QuietServerGetsAnHttpRequest) {
  LoopbackServer server(kLoopback, [](int fd, const std::stop_token&) {
    std::string request;
    char buffer[512];
    while (request.find("\r\n\r\n") == std::string::npos && wait_readable(fd, 2000)) {
      const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got <= 0) return;
      request.append(buffer, static_cast<std::size_t>(got));
    }
    if (request.rfind("GET / HTTP/1.0\r\n", 0) != 0) return;
    send_all(
        fd,
        "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.2\r\n\r\n<title>Lab HTTP</title>");
  });
  const BannerResult result = run_one(quick_limits(), server.target());
  EXPECT_EQ(result.outcome, Outcome::kAnswered);
  EXPECT_FALSE(result.spoke_first);
  EXPECT_EQ(result.facts.name, "http");
  EXPECT_EQ(result.facts.product, "SimpleHTTPServer");
  EXPECT_EQ(result.facts.version, "0.6");
  ASSERT_TRUE(result.facts.http);
  EXPECT_EQ(result.facts.http->status, 200);
  EXPECT_EQ(result.facts.http->title, "Lab HTTP");
}

TEST(BannerStage, SilentServerEndsSilentWithinItsDeadlines) {
  LoopbackServer server(kLoopback, hold);
  const BannerResult result = run_one(quick_limits(), server.target());
  EXPECT_EQ(result.outcome, Outcome::kSilent);
  EXPECT_EQ(result.facts.banner, "");
  // quiet 200 ms + read 500 ms; total_timeout 1500 ms caps it in any case (margin for a busy
  // machine).
  EXPECT_LE(result.total_time, 3000ms);
  EXPECT_GE(result.total_time, 650ms);
}

TEST(BannerStage, EndlessServerIsCutAtTheByteLimit) {
  LoopbackServer server(kLoopback, [](int fd, const std::stop_token& stop) {
    const std::string chunk(1024, 'A');
    while (!stop.stop_requested()) {
      if (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) <= 0) return;
    }
  });
  Limits limits = quick_limits();
  limits.max_answer_bytes = 3000;
  limits.max_banner_bytes = 64;
  limits.idle_after_bytes = 5000ms;
  limits.total_timeout = 8000ms;
  const BannerResult result = run_one(limits, server.target());
  EXPECT_EQ(result.outcome, Outcome::kAnswered);
  EXPECT_EQ(result.facts.banner, std::string(64, 'A') + "...");
  EXPECT_LT(result.total_time, 4000ms);  // the byte limit ends it, not a timer
}

TEST(BannerStage, TrickleIsCutByTheTotalTimeout) {
  LoopbackServer server(kLoopback, [](int fd, const std::stop_token& stop) {
    for (int i = 0; i < 100 && !stop.stop_requested(); ++i) {
      send_all(fd, "\x01");
      std::this_thread::sleep_for(50ms);
    }
  });
  const BannerResult result = run_one(quick_limits(), server.target());
  EXPECT_EQ(result.outcome, Outcome::kAnswered);
  EXPECT_GE(result.total_time, 1400ms);
  EXPECT_LE(result.total_time, 4000ms);
  EXPECT_EQ(result.facts.banner.substr(0, 8), "\\x01\\x01");
}

TEST(BannerStage, ResetAtOnceAndRefused) {
  LoopbackServer server(kLoopback, [](int fd, const std::stop_token&) {
    const linger abortive{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  });
  EXPECT_EQ(run_one(quick_limits(), server.target()).outcome, Outcome::kClosedAtOnce);

  // A port nothing listens on: bound, port noted, closed.
  const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in bound{};
  bound.sin_family = AF_INET;
  bound.sin_addr.s_addr = htonl(kLoopback);
  ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&bound), sizeof bound), 0);
  socklen_t length = sizeof bound;
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&bound), &length);
  ::close(probe);
  EXPECT_EQ(run_one(quick_limits(), {kLoopback, ntohs(bound.sin_port)}).outcome, Outcome::kRefused);
}

TEST(BannerStage, TlsGarbageFailsFast) {
  LoopbackServer server(kLoopback, [](int fd, const std::stop_token& stop) {
    send_all(fd, std::string(300, '\x16') + "garbage\r\n");
    hold(fd, stop);
  });
  Limits limits = quick_limits();
  limits.plan_for = [](std::uint16_t) { return PortPlan{true, Dialect::kHttp}; };
  limits.read_timeout = 5000ms;
  limits.total_timeout = 8000ms;
  const BannerResult result = run_one(limits, server.target());
  EXPECT_EQ(result.outcome, Outcome::kTlsFailed);
  EXPECT_FALSE(result.facts.tls);
  EXPECT_LT(result.total_time, 4000ms);  // OpenSSL's error ends it, not the 5 s handshake deadline
}

TEST(BannerStage, PerHostAndGlobalLimitsHold) {
  std::vector<std::unique_ptr<LoopbackServer>> servers;
  for (std::uint32_t host = 2; host <= 5; ++host) {
    servers.push_back(std::make_unique<LoopbackServer>(0x7f000000 | host,
                                                       [](int fd, const std::stop_token& stop) {
                                                         std::this_thread::sleep_for(100ms);
                                                         send_all(fd, "220 ready\r\n");
                                                         hold(fd, stop);
                                                       }));
  }
  Limits limits = quick_limits();
  limits.max_per_host = 4;
  limits.max_connections = 10;
  BannerStage stage(limits);
  for (int round = 0; round < 20; ++round) {
    for (const auto& server : servers) stage.submit(server->target());
  }
  const auto results = run_all(stage, 80);
  ASSERT_EQ(results.size(), 80u);
  for (const auto& result : results) EXPECT_EQ(result.outcome, Outcome::kAnswered);
  // 4 hosts x 4 would be 16: the global limit of 10 binds first, and it is reached.
  EXPECT_EQ(stage.stats().peak_in_flight, 10u);
  EXPECT_EQ(stage.stats().finished, 80u);
  EXPECT_EQ(stage.outstanding(), 0u);

  BannerStage one_host(limits);
  for (int round = 0; round < 12; ++round) one_host.submit(servers.front()->target());
  ASSERT_EQ(run_all(one_host, 12).size(), 12u);
  EXPECT_EQ(one_host.stats().peak_in_flight, 4u);
}

TEST(BannerStage, CancelledHostSkipsItsQueue) {
  LoopbackServer server(kLoopback, hold);
  Limits limits = quick_limits();
  limits.max_per_host = 2;
  BannerStage stage(limits);
  for (int i = 0; i < 10; ++i) stage.submit(server.target());
  std::this_thread::sleep_for(100ms);
  stage.cancel_host(kLoopback);
  stage.submit(server.target());  // after the cancel: skipped too
  const auto results = run_all(stage, 11);
  ASSERT_EQ(results.size(), 11u);
  int skipped = 0;
  for (const auto& result : results) skipped += result.outcome == Outcome::kSkipped;
  EXPECT_EQ(skipped, 9);  // the two in flight finish (silent); the other nine never connect
  EXPECT_EQ(stage.outstanding(), 0u);
}

// The raw SYN scan's source ports (here most of the ephemeral range) are never the stage's.
TEST(BannerStage, LocalPortsAvoidTheScansSourcePorts) {
  std::ifstream range_file("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 0;
  unsigned high = 0;
  range_file >> low >> high;
  if (high < low + 200) GTEST_SKIP() << "ephemeral range too small";
  LoopbackServer server(kLoopback, [](int fd, const std::stop_token&) { send_all(fd, "220 ready\r\n"); });
  Limits limits = quick_limits();
  limits.avoid_ports_first = static_cast<std::uint16_t>(low);
  limits.avoid_ports_count = static_cast<std::uint16_t>(high - low - 100);  // leaves the top 101
  BannerStage stage(limits);
  for (int i = 0; i < 20; ++i) stage.submit(server.target());
  ASSERT_EQ(run_all(stage, 20).size(), 20u);
  const std::vector<std::uint16_t> ports = server.peer_ports();
  ASSERT_EQ(ports.size(), 20u);
  for (const std::uint16_t port : ports) EXPECT_GT(port, high - 101) << "local port inside the avoided range";
}

// A self-signed certificate made here: CN, two DNS names and an IP address, 10 days valid.
struct TestCertificate {
  EVP_PKEY* key = nullptr;
  X509* certificate = nullptr;
  std::time_t not_after = 0;
  TestCertificate() {
    key = EVP_EC_gen("P-256");
    certificate = X509_new();
    X509_set_version(certificate, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), 17);
    X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
    X509_gmtime_adj(X509_getm_notAfter(certificate), 10L * 86400);
    not_after = std::time(nullptr) + 10L * 86400;
    X509_set_pubkey(certificate, key);
    X509_NAME* name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Synscan Lab"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("lab.example"), -1, -1, 0);
    X509_set_issuer_name(certificate, name);
    X509V3_CTX context;
    X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
    X509_EXTENSION* names = X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name,
                                                "DNS:lab.example,DNS:www.lab.example,IP:127.0.0.1");
    X509_add_ext(certificate, names, -1);
    X509_EXTENSION_free(names);
    X509_sign(certificate, key, EVP_sha256());
  }
  ~TestCertificate() {
    X509_free(certificate);
    EVP_PKEY_free(key);
  }
};

TEST(BannerStage, TlsHandshakeCertificateAndHttpInside) {
  TestCertificate made;
  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  ASSERT_EQ(SSL_CTX_use_certificate(context, made.certificate), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(context, made.key), 1);
  LoopbackServer server(kLoopback, [context](int fd, const std::stop_token&) {
    SSL* ssl = SSL_new(context);
    SSL_set_fd(ssl, fd);
    char buffer[1024];
    if (SSL_accept(ssl) == 1 && SSL_read(ssl, buffer, sizeof buffer) > 0) {
      const std::string response =
          "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 31\r\n\r\n<title>TLS "
          "lab</title>........";
      SSL_write(ssl, response.data(), static_cast<int>(response.size()));
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
  });
  Limits limits = quick_limits();
  limits.plan_for = [](std::uint16_t) { return PortPlan{true, Dialect::kHttp}; };
  const BannerResult result = run_one(limits, server.target());
  SSL_CTX_free(context);
  EXPECT_EQ(result.outcome, Outcome::kAnswered);
  EXPECT_TRUE(result.facts.tunnel_ssl);
  EXPECT_EQ(result.facts.name, "http");
  EXPECT_EQ(result.facts.product, "nginx");
  ASSERT_TRUE(result.facts.http);
  EXPECT_EQ(result.facts.http->title, "TLS lab");
  ASSERT_TRUE(result.facts.tls);
  const output::TlsFacts& tls = *result.facts.tls;
  EXPECT_EQ(tls.version, "TLSv1.3");
  EXPECT_EQ(tls.subject_cn, "lab.example");
  EXPECT_EQ(tls.subject, "organizationName=Synscan Lab/commonName=lab.example");
  EXPECT_EQ(tls.issuer, tls.subject);
  EXPECT_EQ(tls.alt_names, (std::vector<std::string>{"DNS:lab.example", "DNS:www.lab.example",
                                                     "IP Address:127.0.0.1"}));
  EXPECT_NEAR(static_cast<double>(tls.not_after), static_cast<double>(made.not_after), 5.0);
  EXPECT_NE(output::ssl_cert_text(tls).find("Not valid after:  "), std::string::npos);
}

}  // namespace
}  // namespace synscan::service
