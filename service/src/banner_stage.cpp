// The service stage's event loop: one thread, one epoll set, level-triggered. Per connection:
//   connect (non-blocking) -> [TLS handshake] -> listen for a greeting or send the port's request
//   -> read until the answer is complete, the peer closes, the byte limit, or a quiet period.
// Every phase has a deadline (swept every kSweepInterval), so a silent, trickling or endless
// server costs at most total_timeout and max_answer_bytes.
#include "service/banner_stage.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "connection.hpp"

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51  // Linux 6.3+, include/uapi/linux/in.h
#endif

namespace synscan::service {
namespace {

constexpr auto kSweepInterval = std::chrono::milliseconds(20);
constexpr std::uint64_t kWakeToken = 0;
constexpr std::size_t kReservedDescriptors = 128;  // capture, raw sockets, output files, ...

std::size_t descriptor_budget() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
    (void)::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur > 2 * kReservedDescriptors ? limit.rlim_cur - kReservedDescriptors
                                                   : kReservedDescriptors;
}

// The larger part of the namespace's ephemeral range outside [first, first + count): the
// IP_LOCAL_PORT_RANGE value for every socket, or 0 (no restriction).
std::uint32_t local_port_range(std::uint16_t first, std::uint16_t count) {
  if (count == 0) return 0;
  std::ifstream file("/proc/sys/net/ipv4/ip_local_port_range");
  std::uint32_t low = 32768;
  std::uint32_t high = 60999;
  file >> low >> high;
  const std::uint32_t avoid_low = first;
  const std::uint32_t avoid_high = std::uint32_t{first} + count - 1;
  const std::uint32_t below = avoid_low > low ? std::min(high, avoid_low - 1) - low + 1 : 0;
  const std::uint32_t above = avoid_high < high ? high - std::max(low, avoid_high + 1) + 1 : 0;
  if (below == 0 && above == 0) return 0;
  if (below >= above) return (std::min(high, avoid_low - 1) << 16) | low;
  return (high << 16) | std::max(low, avoid_high + 1);
}

struct HostQueue {
  std::deque<std::uint16_t> ports;
  std::size_t in_flight = 0;
  bool ready = false;  ///< listed in ready_hosts_
};

}  // namespace

const char* to_string(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::kAnswered:
      return "answered";
    case Outcome::kSilent:
      return "silent";
    case Outcome::kClosedAtOnce:
      return "closed-at-once";
    case Outcome::kRefused:
      return "refused";
    case Outcome::kConnectTimeout:
      return "connect-timeout";
    case Outcome::kTlsFailed:
      return "tls-failed";
    case Outcome::kError:
      return "error";
    case Outcome::kSkipped:
      return "skipped";
  }
  return "error";
}

class BannerStage::Loop {
 public:
  explicit Loop(const Limits& limits);
  ~Loop();
  void submit(const Target& target);
  void cancel_host(std::uint32_t address);
  std::vector<BannerResult> take_results();
  void wait_for_results(std::chrono::milliseconds timeout);
  std::uint64_t outstanding() const { return submitted_.load() - taken_.load(); }
  StageStats stats() const;

 private:
  void run(const std::stop_token& stop);
  void wake_loop() noexcept;   ///< one eventfd tick: the loop thread wakes from epoll_wait
  void drain_wake() noexcept;  ///< resets the eventfd after a wake-up
  void accept_submissions();
  void start_connections();
  void start(const Target& target);
  void handle(std::size_t slot, std::uint32_t events);
  void on_connected(Connection& connection, std::size_t slot);
  void on_handshake(Connection& connection, std::size_t slot);
  void after_connect(Connection& connection, std::size_t slot);
  void on_writable(Connection& connection, std::size_t slot);
  void on_readable(Connection& connection, std::size_t slot);
  void sweep(Clock::time_point now);
  void expire(Connection& connection, std::size_t slot, Clock::time_point now);
  void finish(std::size_t slot, Outcome outcome);
  void watch(Connection& connection, std::size_t slot, std::uint32_t events);
  void send_request(Connection& connection, std::size_t slot);
  void publish();
  void host_done(std::uint32_t address);
  void skip(const Target& target);

  const Limits limits_;
  const std::size_t connection_limit_;
  const std::uint32_t port_range_;
  const TlsClient tls_;
  SocketFd epoll_;
  SocketFd wake_;
  std::vector<std::unique_ptr<Connection>> slots_;
  std::vector<std::size_t> free_slots_;
  std::size_t in_flight_ = 0;
  std::unordered_map<std::uint32_t, HostQueue> hosts_;
  std::deque<std::uint32_t> ready_hosts_;
  std::unordered_set<std::uint32_t> cancelled_hosts_;
  std::vector<BannerResult> finished_;  // loop thread, published in batches

  mutable std::mutex mutex_;
  std::condition_variable results_ready_;
  std::vector<Target> inbox_;
  std::vector<std::uint32_t> cancelled_;
  std::vector<BannerResult> outbox_;
  std::atomic<std::uint64_t> submitted_{0};
  std::atomic<std::uint64_t> finished_count_{0};
  std::atomic<std::uint64_t> taken_{0};
  std::atomic<std::size_t> in_flight_now_{0};
  std::atomic<std::size_t> peak_in_flight_{0};
  std::jthread thread_;
};

BannerStage::Loop::Loop(const Limits& limits)
    : limits_(limits),
      connection_limit_(
          std::max<std::size_t>(1, std::min(limits.max_connections, descriptor_budget()))),
      port_range_(local_port_range(limits.avoid_ports_first, limits.avoid_ports_count)),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (epoll_.get() < 0 || wake_.get() < 0) {
    throw std::system_error(errno, std::generic_category(), "service stage: epoll/eventfd");
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeToken;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &event) != 0) {
    throw std::system_error(errno, std::generic_category(), "service stage: epoll_ctl");
  }
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

// An eventfd write fails only when the counter would overflow (a wake-up is then pending anyway)
// and a read only when nothing is pending (EAGAIN): neither loses a wake-up, so both results are
// checked and deliberately dropped (the hardened build's warn_unused_result wants them read).
void BannerStage::Loop::wake_loop() noexcept {
  const std::uint64_t one = 1;
  if (::write(wake_.get(), &one, sizeof one) != sizeof one) return;
}

void BannerStage::Loop::drain_wake() noexcept {
  std::uint64_t value = 0;
  if (::read(wake_.get(), &value, sizeof value) != sizeof value) return;
}

BannerStage::Loop::~Loop() {
  thread_.request_stop();
  wake_loop();
  thread_.join();
}

void BannerStage::Loop::submit(const Target& target) {
  {
    const std::lock_guard lock(mutex_);
    inbox_.push_back(target);
  }
  submitted_.fetch_add(1);
  wake_loop();
}

void BannerStage::Loop::cancel_host(std::uint32_t address) {
  {
    const std::lock_guard lock(mutex_);
    cancelled_.push_back(address);
  }
  wake_loop();
}

std::vector<BannerResult> BannerStage::Loop::take_results() {
  std::vector<BannerResult> results;
  {
    const std::lock_guard lock(mutex_);
    results.swap(outbox_);
  }
  taken_.fetch_add(results.size());
  return results;
}

void BannerStage::Loop::wait_for_results(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  results_ready_.wait_for(lock, timeout, [&] { return !outbox_.empty() || outstanding() == 0; });
}

StageStats BannerStage::Loop::stats() const {
  StageStats stats;
  stats.submitted = submitted_.load();
  stats.finished = finished_count_.load();
  stats.in_flight = in_flight_now_.load();
  stats.peak_in_flight = peak_in_flight_.load();
  stats.connection_limit = connection_limit_;
  return stats;
}

void BannerStage::Loop::run(const std::stop_token& stop) {
  std::vector<epoll_event> events(512);
  Clock::time_point next_sweep = Clock::now() + kSweepInterval;
  while (!stop.stop_requested()) {
    accept_submissions();
    start_connections();
    const int timeout = in_flight_ > 0 ? static_cast<int>(kSweepInterval.count()) : -1;
    const int count =
        ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout);
    for (int i = 0; i < count; ++i) {
      if (events[i].data.u64 == kWakeToken) {
        drain_wake();
        continue;
      }
      handle(static_cast<std::size_t>(events[i].data.u64 - 1), events[i].events);
    }
    const Clock::time_point now = Clock::now();
    if (now >= next_sweep) {
      sweep(now);
      next_sweep = now + kSweepInterval;
    }
    publish();
  }
}

void BannerStage::Loop::accept_submissions() {
  std::vector<Target> incoming;
  std::vector<std::uint32_t> cancelled;
  {
    const std::lock_guard lock(mutex_);
    incoming.swap(inbox_);
    cancelled.swap(cancelled_);
  }
  cancelled_hosts_.insert(cancelled.begin(), cancelled.end());
  for (const Target& target : incoming) {
    if (cancelled_hosts_.contains(target.address)) {
      skip(target);
      continue;
    }
    HostQueue& host = hosts_[target.address];
    host.ports.push_back(target.port);
    if (!host.ready && host.in_flight < limits_.max_per_host) {
      host.ready = true;
      ready_hosts_.push_back(target.address);
    }
  }
  for (const std::uint32_t address : cancelled) {
    const auto found = hosts_.find(address);
    if (found == hosts_.end()) continue;
    for (const std::uint16_t port : found->second.ports) skip({address, port});
    found->second.ports.clear();
    if (found->second.in_flight == 0) hosts_.erase(found);  // ready_hosts_ skips it when popped
  }
}

void BannerStage::Loop::skip(const Target& target) {
  BannerResult result;
  result.target = target;
  result.outcome = Outcome::kSkipped;
  result.facts.port = target.port;
  result.facts.outcome = to_string(Outcome::kSkipped);
  finished_.push_back(std::move(result));
}

// Round-robin over hosts with queued ports and room under the per-host limit.
void BannerStage::Loop::start_connections() {
  while (in_flight_ < connection_limit_ && !ready_hosts_.empty()) {
    const std::uint32_t address = ready_hosts_.front();
    ready_hosts_.pop_front();
    const auto found = hosts_.find(address);
    if (found == hosts_.end()) continue;  // cancelled while listed
    HostQueue& host = found->second;
    host.ready = false;
    if (host.ports.empty()) continue;
    const std::uint16_t port = host.ports.front();
    host.ports.pop_front();
    ++host.in_flight;
    if (!host.ports.empty() && host.in_flight < limits_.max_per_host) {
      host.ready = true;
      ready_hosts_.push_back(address);
    }
    start({address, port});
  }
}

void BannerStage::Loop::host_done(std::uint32_t address) {
  const auto found = hosts_.find(address);
  if (found == hosts_.end()) return;
  HostQueue& host = found->second;
  --host.in_flight;
  if (host.ports.empty()) {
    if (host.in_flight == 0) hosts_.erase(found);
    return;
  }
  if (!host.ready) {
    host.ready = true;
    ready_hosts_.push_back(address);
  }
}

void BannerStage::Loop::start(const Target& target) {
  std::size_t slot = slots_.size();
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slots_.emplace_back();
  }
  slots_[slot] = std::make_unique<Connection>();
  Connection& connection = *slots_[slot];
  connection.target = target;
  connection.plan = limits_.plan_for(target.port);
  connection.started = connection.phase_started = Clock::now();
  ++in_flight_;
  in_flight_now_.store(in_flight_, std::memory_order_relaxed);
  if (in_flight_ > peak_in_flight_.load(std::memory_order_relaxed))
    peak_in_flight_.store(in_flight_);

  connection.socket = SocketFd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (connection.socket.get() < 0) return finish(slot, Outcome::kError);
  const int fd = connection.socket.get();
  if (port_range_ != 0)
    (void)::setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &port_range_, sizeof port_range_);
  // An abortive close (RST) leaves no TIME_WAIT behind: a sweep's thousands of connections do not
  // exhaust the local ports.
  const linger abortive{1, 0};
  (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(target.port);
  address.sin_addr.s_addr = htonl(target.address);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    return on_connected(connection, slot);
  }
  if (errno == ECONNREFUSED) return finish(slot, Outcome::kRefused);
  if (errno != EINPROGRESS) return finish(slot, Outcome::kError);
  watch(connection, slot, EPOLLOUT);
}

void BannerStage::Loop::watch(Connection& connection, std::size_t slot, std::uint32_t events) {
  if (connection.events == events) return;
  epoll_event event{};
  event.events = events;
  event.data.u64 = slot + 1;
  const int operation = connection.events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  connection.events = events;
  if (::epoll_ctl(epoll_.get(), operation, connection.socket.get(), &event) != 0)
    finish(slot, Outcome::kError);
}

void BannerStage::Loop::handle(std::size_t slot, std::uint32_t events) {
  if (slot >= slots_.size() || !slots_[slot]) return;
  Connection& connection = *slots_[slot];
  switch (connection.phase) {
    case Phase::kConnecting: {
      int error = 0;
      socklen_t length = sizeof error;
      (void)::getsockopt(connection.socket.get(), SOL_SOCKET, SO_ERROR, &error, &length);
      if (error == ECONNREFUSED) return finish(slot, Outcome::kRefused);
      // Established, then reset before the loop saw the connect finish (RST in SYN-SENT is a
      // refusal, ECONNREFUSED).
      if (error == ECONNRESET || error == EPIPE) return finish(slot, Outcome::kClosedAtOnce);
      if (error == ETIMEDOUT || error == EHOSTUNREACH || error == ENETUNREACH) {
        return finish(slot, Outcome::kConnectTimeout);
      }
      if (error != 0) return finish(slot, Outcome::kError);
      return on_connected(connection, slot);
    }
    case Phase::kHandshaking:
      return on_handshake(connection, slot);
    case Phase::kWriting:
      return on_writable(connection, slot);
    case Phase::kListening:
    case Phase::kReading:
      if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) on_readable(connection, slot);
      return;
  }
}

void BannerStage::Loop::on_connected(Connection& connection, std::size_t slot) {
  connection.connected = connection.phase_started = Clock::now();
  if (!connection.plan.tls) return after_connect(connection, slot);
  connection.ssl = tls_.session(connection.socket.get());
  if (!connection.ssl) return finish(slot, Outcome::kError);
  connection.phase = Phase::kHandshaking;
  on_handshake(connection, slot);
}

void BannerStage::Loop::on_handshake(Connection& connection, std::size_t slot) {
  switch (tls_handshake(connection.ssl.get())) {
    case TlsStep::kDone:
      connection.tls = tls_facts(connection.ssl.get());
      connection.phase_started = Clock::now();
      return after_connect(connection, slot);
    case TlsStep::kWantRead:
      return watch(connection, slot, EPOLLIN);
    case TlsStep::kWantWrite:
      return watch(connection, slot, EPOLLOUT);
    case TlsStep::kClosed:
    case TlsStep::kFailed:
      return finish(slot, Outcome::kTlsFailed);
  }
}

// Connected (and TLS established): wait for a greeting, or ask at once where servers wait.
void BannerStage::Loop::after_connect(Connection& connection, std::size_t slot) {
  if (connection.plan.dialect == Dialect::kListen) {
    connection.phase = Phase::kListening;
    return watch(connection, slot, EPOLLIN);
  }
  send_request(connection, slot);
}

void BannerStage::Loop::send_request(Connection& connection, std::size_t slot) {
  connection.request = request_for(connection.plan.dialect);
  connection.request_sent = 0;
  connection.phase = Phase::kWriting;
  connection.phase_started = Clock::now();
  on_writable(connection, slot);
}

void BannerStage::Loop::on_writable(Connection& connection, std::size_t slot) {
  while (connection.request_sent < connection.request.size()) {
    const char* data = connection.request.data() + connection.request_sent;
    const std::size_t left = connection.request.size() - connection.request_sent;
    std::size_t sent = 0;
    if (connection.ssl) {
      const TlsStep step = tls_write(connection.ssl.get(), data, left, sent);
      if (step == TlsStep::kWantRead) return watch(connection, slot, EPOLLIN);
      if (step == TlsStep::kWantWrite) return watch(connection, slot, EPOLLOUT);
      if (step != TlsStep::kDone)
        return finish(slot,
                      connection.answer.empty() ? Outcome::kClosedAtOnce : Outcome::kAnswered);
    } else {
      const ssize_t result = ::send(connection.socket.get(), data, left, MSG_NOSIGNAL);
      if (result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return watch(connection, slot, EPOLLOUT);
      if (result <= 0)
        return finish(slot,
                      connection.answer.empty() ? Outcome::kClosedAtOnce : Outcome::kAnswered);
      sent = static_cast<std::size_t>(result);
    }
    connection.request_sent += sent;
  }
  connection.phase = Phase::kReading;
  connection.phase_started = Clock::now();
  watch(connection, slot, EPOLLIN);
}

void BannerStage::Loop::on_readable(Connection& connection, std::size_t slot) {
  char buffer[4096];
  for (;;) {
    const std::size_t room = limits_.max_answer_bytes - connection.answer.size();
    const std::size_t want = std::min(sizeof buffer, room);
    std::size_t got = 0;
    bool closed = false;
    if (connection.ssl) {
      const TlsStep step = tls_read(connection.ssl.get(), buffer, want, got);
      if (step == TlsStep::kWantRead) break;
      if (step == TlsStep::kWantWrite) return watch(connection, slot, EPOLLOUT | EPOLLIN);
      closed = step != TlsStep::kDone;
    } else {
      const ssize_t result = ::recv(connection.socket.get(), buffer, want, 0);
      if (result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      closed = result <= 0;
      got = result > 0 ? static_cast<std::size_t>(result) : 0;
    }
    if (closed)
      return finish(slot, connection.answer.empty() ? Outcome::kClosedAtOnce : Outcome::kAnswered);
    if (connection.phase == Phase::kListening && connection.answer.empty())
      connection.spoke_first = true;
    connection.answer.append(buffer, got);
    connection.last_byte = Clock::now();
    if (connection.answer.size() >= limits_.max_answer_bytes ||
        answer_complete(connection.answer)) {
      return finish(slot, Outcome::kAnswered);
    }
  }
}

void BannerStage::Loop::sweep(Clock::time_point now) {
  for (std::size_t slot = 0; slot < slots_.size(); ++slot) {
    if (slots_[slot]) expire(*slots_[slot], slot, now);
  }
}

// The deadlines: the whole connection, the connect, the handshake, the silence before our
// request, the first answer byte after it, and the quiet that ends an unfinished answer.
void BannerStage::Loop::expire(Connection& connection, std::size_t slot, Clock::time_point now) {
  const bool answered = !connection.answer.empty();
  const Outcome give_up = answered ? Outcome::kAnswered : Outcome::kSilent;
  if (now - connection.started >= limits_.total_timeout) {
    if (connection.phase == Phase::kConnecting) return finish(slot, Outcome::kConnectTimeout);
    if (connection.phase == Phase::kHandshaking) return finish(slot, Outcome::kTlsFailed);
    return finish(slot, give_up);
  }
  const auto in_phase = now - connection.phase_started;
  switch (connection.phase) {
    case Phase::kConnecting:
      if (in_phase >= limits_.connect_timeout) finish(slot, Outcome::kConnectTimeout);
      return;
    case Phase::kHandshaking:
      if (in_phase >= limits_.read_timeout) finish(slot, Outcome::kTlsFailed);
      return;
    case Phase::kListening:
      if (answered) {
        if (now - connection.last_byte >= limits_.idle_after_bytes)
          finish(slot, Outcome::kAnswered);
      } else if (in_phase >= limits_.quiet_before_probe) {
        send_request(connection, slot);
      }
      return;
    case Phase::kWriting:
      if (in_phase >= limits_.read_timeout) finish(slot, give_up);
      return;
    case Phase::kReading:
      if (answered ? now - connection.last_byte >= limits_.idle_after_bytes
                   : in_phase >= limits_.read_timeout) {
        finish(slot, give_up);
      }
      return;
  }
}

void BannerStage::Loop::finish(std::size_t slot, Outcome outcome) {
  std::unique_ptr<Connection> connection = std::move(slots_[slot]);
  free_slots_.push_back(slot);
  --in_flight_;
  in_flight_now_.store(in_flight_, std::memory_order_relaxed);
  const Clock::time_point now = Clock::now();
  BannerResult result;
  result.target = connection->target;
  result.outcome = outcome;
  result.spoke_first = connection->spoke_first;
  if (connection->connected != Clock::time_point{}) {
    result.connect_time = std::chrono::duration_cast<std::chrono::milliseconds>(
        connection->connected - connection->started);
  }
  result.total_time =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - connection->started);
  output::ServiceFacts& facts = result.facts;
  facts.port = connection->target.port;
  facts.outcome = to_string(outcome);
  facts.banner = escape_bytes(connection->answer, limits_.max_banner_bytes);
  identify(connection->target.port, connection->answer, facts);
  if (connection->tls) {
    facts.tunnel_ssl = true;
    facts.tls = std::move(connection->tls);
  }
  // The socket leaves the epoll set when it is closed (connection's destructor, here).
  connection.reset();
  host_done(result.target.address);
  finished_.push_back(std::move(result));
}

void BannerStage::Loop::publish() {
  if (finished_.empty()) return;
  const std::size_t count = finished_.size();
  {
    const std::lock_guard lock(mutex_);
    if (outbox_.empty()) {
      outbox_.swap(finished_);
    } else {
      std::move(finished_.begin(), finished_.end(), std::back_inserter(outbox_));
      finished_.clear();
    }
  }
  finished_count_.fetch_add(count);
  results_ready_.notify_all();
}

BannerStage::BannerStage(const Limits& limits) : loop_(std::make_unique<Loop>(limits)) {}
BannerStage::~BannerStage() = default;
void BannerStage::submit(const Target& target) {
  loop_->submit(target);
}
std::vector<BannerResult> BannerStage::take_results() {
  return loop_->take_results();
}
void BannerStage::wait_for_results(std::chrono::milliseconds timeout) {
  loop_->wait_for_results(timeout);
}
std::uint64_t BannerStage::outstanding() const {
  return loop_->outstanding();
}
StageStats BannerStage::stats() const {
  return loop_->stats();
}
void BannerStage::cancel_host(std::uint32_t address) {
  loop_->cancel_host(address);
}

}  // namespace synscan::service
