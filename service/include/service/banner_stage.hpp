#pragma once
/// The service stage (--banners): ordinary kernel TCP connections to open ports, from one
/// epoll event loop on a thread of its own. Thousands of connections in flight, bounded globally
/// and per host; every phase has a deadline and every answer a byte limit, so no server (silent,
/// endless, trickling, speaking garbage or broken TLS) holds a connection or memory for long.
///
/// Threads: submit(), finish_input(), take_results() and stats() may be called from any one
/// other thread (the engine's collector); the loop thread owns every connection.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "output/service.hpp"
#include "service/identify.hpp"

namespace synscan::service {

struct Limits {
  std::size_t max_connections = 4096;  ///< in flight at once (capped by RLIMIT_NOFILE)
  std::size_t max_per_host = 16;       ///< in flight to one address
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds quiet_before_probe{1000};  ///< silence before a kListen port gets a GET
  std::chrono::milliseconds read_timeout{2000};  ///< after the request, for the first answer bytes
  std::chrono::milliseconds idle_after_bytes{400};  ///< an unfinished answer ends after this quiet
  std::chrono::milliseconds total_timeout{6000};    ///< whole connection, connect to close
  std::size_t max_answer_bytes = 8192;              ///< bytes read per connection
  std::size_t max_banner_bytes = 256;               ///< raw bytes kept (escaped) in the result
  /// Local ports the kernel must not pick (the raw SYN scan's source ports), so the scan's own
  /// probes and the stage's connections never share a 4-tuple. count 0: no restriction.
  std::uint16_t avoid_ports_first = 0;
  std::uint16_t avoid_ports_count = 0;
  /// The conversation per port (plan_for_port); tests point TLS or HTTP at ephemeral ports.
  std::function<PortPlan(std::uint16_t)> plan_for = plan_for_port;
};

struct Target {
  std::uint32_t address = 0;  ///< IPv4, host byte order
  std::uint16_t port = 0;
};

/// How a connection went, the facts' `outcome` word, and what fake-open detection reads.
enum class Outcome : std::uint8_t {
  kAnswered,        ///< the server sent bytes (first, or after our request)
  kSilent,          ///< connected, never sent a byte, still open at the deadline
  kClosedAtOnce,    ///< connected, then closed or reset without sending a byte
  kRefused,         ///< the connect was refused (RST): the port closed since the SYN scan
  kConnectTimeout,  ///< no handshake within the connect timeout
  kTlsFailed,       ///< connected, the TLS handshake failed (garbage, alert, timeout)
  kError,           ///< any other socket error
  kSkipped,         ///< never connected: cancel_host() dropped it from the queue
};
[[nodiscard]] const char* to_string(Outcome outcome) noexcept;

struct BannerResult {
  Target target;
  Outcome outcome = Outcome::kError;
  bool spoke_first = false;  ///< sent bytes before any request of ours
  std::chrono::milliseconds connect_time{0};
  std::chrono::milliseconds total_time{0};
  output::ServiceFacts facts;
};

struct StageStats {
  std::uint64_t submitted = 0;
  std::uint64_t finished = 0;
  std::size_t in_flight = 0;
  std::size_t peak_in_flight = 0;
  std::size_t connection_limit = 0;  ///< max_connections after the RLIMIT_NOFILE cap
};

class BannerStage {
 public:
  /// Starts the loop thread. Throws std::system_error when epoll/eventfd cannot be created.
  explicit BannerStage(const Limits& limits);
  ~BannerStage();  ///< stops the loop; connections still open are closed, their results dropped
  BannerStage(const BannerStage&) = delete;
  BannerStage& operator=(const BannerStage&) = delete;

  void submit(const Target& target);
  /// Drops the host's queued ports (each still gets a result, kSkipped); connections in flight
  /// finish normally. For a host that answers every port and whose first connections never spoke.
  void cancel_host(std::uint32_t address);
  /// Every result finished since the last call, in completion order.
  [[nodiscard]] std::vector<BannerResult> take_results();
  /// Waits up to `timeout` for a result to be ready (or for the stage to have nothing left).
  void wait_for_results(std::chrono::milliseconds timeout);
  /// Submitted targets whose result has not been taken yet.
  [[nodiscard]] std::uint64_t outstanding() const;
  [[nodiscard]] StageStats stats() const;

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace synscan::service
