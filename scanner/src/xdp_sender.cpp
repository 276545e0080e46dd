#include "xdp_sender.hpp"

#include <linux/if_xdp.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "xdp_ring.hpp"

#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9  // Linux 6.17+: frames per sendto in copy mode (default 32)
#endif

namespace synscan::scanner {
namespace {

// 2048 frames of 2 KiB (4 MiB of UMEM per transmit thread: within the usual 8 MiB RLIMIT_MEMLOCK
// of a process without CAP_IPC_LOCK). A batch is at most 256 frames and a send returns only once
// the kernel has consumed them, so the frames in flight are those whose completion is pending.
constexpr std::uint32_t kFrameSize = 2048;
constexpr std::uint32_t kFrameCount = 2048;
constexpr std::uint32_t kTxRingSize = 1024;
constexpr std::uint32_t kCompletionRingSize = kFrameCount;  // can never overflow
constexpr std::uint32_t kFillRingSize = 64;                 // required by the kernel, never used
constexpr std::uint32_t kCopyModeBudget = 256;              // = the largest engine batch
constexpr int kMaxStalls = 10'000;                          // ~0.2 s of back-offs without progress

int quiet_libxdp(libxdp_print_level, const char* format, va_list arguments) {
  char text[512];
  std::vsnprintf(text, sizeof text, format, arguments);
  spdlog::debug("libxdp: {}", text);
  return 0;
}

void route_libxdp_messages() {
  static std::once_flag once;
  std::call_once(once, [] { libxdp_set_print(quiet_libxdp); });
}

void back_off() noexcept {
  timespec pause{0, 20'000};
  ::nanosleep(&pause, nullptr);
}

std::string errno_text(int error) { return std::strerror(error < 0 ? -error : error); }

std::string umem_failure(int error) {
  error = error < 0 ? -error : error;
  if (error == EAFNOSUPPORT) return "the kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)";
  if (error == EPERM || error == EACCES) return "AF_XDP needs root or CAP_NET_RAW (" + errno_text(error) + ")";
  if (error == ENOMEM || error == ENOBUFS) {
    return "cannot lock the AF_XDP UMEM in memory (" + errno_text(error) + "; RLIMIT_MEMLOCK or CAP_IPC_LOCK)";
  }
  return "cannot register an AF_XDP UMEM: " + errno_text(error);
}

// Owns the UMEM area, the UMEM and the socket; unmapped and closed in reverse order.
class XdpSocket {
 public:
  XdpSocket(const std::string& interface, unsigned queue, std::uint16_t mode_flag) {
    const std::size_t size = std::size_t{kFrameCount} * kFrameSize;
    void* area = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) throw XdpUnavailable("cannot map the AF_XDP UMEM: " + errno_text(errno));
    area_ = static_cast<std::byte*>(area);
    xsk_umem_config umem_config{kFillRingSize, kCompletionRingSize, kFrameSize, 0, 0};
    if (const int error = xsk_umem__create(&umem_, area_, size, &fill_, &completion_, &umem_config)) {
      umem_ = nullptr;
      release();
      throw XdpUnavailable(umem_failure(error));
    }
    xsk_socket_config config{};
    config.tx_size = kTxRingSize;
    config.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;  // TX only: no XDP program
    config.bind_flags = static_cast<std::uint16_t>(XDP_USE_NEED_WAKEUP | mode_flag);
    if (const int error = xsk_socket__create(&socket_, interface.c_str(), queue, umem_, nullptr, &tx_, &config)) {
      socket_ = nullptr;
      release();
      throw XdpUnavailable(bind_failure(interface, queue, error));
    }
    fd_ = xsk_socket__fd(socket_);  // a library call: looked up once, not per batch
  }
  ~XdpSocket() { release(); }
  XdpSocket(const XdpSocket&) = delete;
  XdpSocket& operator=(const XdpSocket&) = delete;

  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] std::byte* area() const noexcept { return area_; }
  xsk_ring_prod& tx() noexcept { return tx_; }
  xsk_ring_cons& completion() noexcept { return completion_; }

 private:
  static std::string bind_failure(const std::string& interface, unsigned queue, int error) {
    error = error < 0 ? -error : error;
    const std::string where = "TX queue " + std::to_string(queue) + " of " + interface;
    if (error == EBUSY) return where + " is taken by another AF_XDP socket";
    if (error == EOPNOTSUPP) return "the driver of " + interface + " does not support this AF_XDP mode";
    if (error == ENODEV) return "no interface " + interface;
    return "cannot bind an AF_XDP socket to " + where + ": " + errno_text(error);
  }
  void release() noexcept {
    if (socket_) xsk_socket__delete(socket_);
    if (umem_) (void)xsk_umem__delete(umem_);
    if (area_) ::munmap(area_, std::size_t{kFrameCount} * kFrameSize);
    socket_ = nullptr;
    umem_ = nullptr;
    area_ = nullptr;
  }

  std::byte* area_ = nullptr;
  xsk_umem* umem_ = nullptr;
  xsk_socket* socket_ = nullptr;
  int fd_ = -1;
  xsk_ring_prod fill_{};
  xsk_ring_cons completion_{};
  xsk_ring_prod tx_{};
};

class XdpSender final : public FrameSender {
 public:
  explicit XdpSender(std::unique_ptr<XdpSocket> socket)
      : socket_(std::move(socket)), frames_(kFrameCount, kFrameSize) {
    // Copy mode sends at most 32 frames per sendto unless the kernel lets us raise it (6.17+).
    const std::uint32_t budget = kCopyModeBudget;
    (void)::setsockopt(socket_->fd(), SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof budget);
  }

  std::size_t send(std::span<const FrameRef> frames, SendCounters& counters) override {
    const std::uint64_t errors_before = counters.errors;
    std::size_t done = 0, queued = 0, skipped = 0;
    int stalls = 0;
    while (done < frames.size()) {
      xdp::reclaim_completions(socket_->completion(), frames_);
      const std::uint32_t taken =
          xdp::enqueue_frames(socket_->tx(), frames_, socket_->area(), frames.subspan(done), counters);
      if (const std::uint32_t stuck = drain(counters)) {  // a hard error: these stay unsent
        counters.errors += stuck;
        abandoned_ += stuck;
      }
      if (taken > 0) {
        done += taken;
        queued += taken;
        stalls = 0;
      } else if (++stalls < kMaxStalls) {
        ++counters.retries;  // no free frame or TX slot: completions are due
        back_off();
      } else {
        ++counters.errors;
        ++done;
        ++skipped;
      }
    }
    // Taken but not sent: oversized frames and what a hard error left in the ring.
    const std::uint64_t lost = counters.errors - errors_before - skipped;
    const std::size_t accepted = queued > lost ? queued - static_cast<std::size_t>(lost) : 0;
    counters.frames_sent += accepted;
    return accepted;
  }

 private:
  // Wakes the kernel until it has consumed every submitted descriptor. Returns how many it left
  // (only after a hard error, or when the queue never drains).
  std::uint32_t drain(SendCounters& counters) {
    xsk_ring_prod& tx = socket_->tx();
    int stalls = 0;
    std::uint32_t pending;
    while ((pending = unsent()) > 0) {
      if (!xsk_ring_prod__needs_wakeup(&tx)) {  // a zero-copy driver at work
        if (++stalls > kMaxStalls * 10) return pending;
        std::this_thread::yield();
        xdp::reclaim_completions(socket_->completion(), frames_);
        continue;
      }
      if (::sendto(socket_->fd(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) == 0) continue;
      const int error = errno;
      // EAGAIN: the per-call budget ran out or the device queue is busy; EBUSY: the completion
      // ring (or the device) is full; ENOBUFS: no memory for the copy. All pass.
      if (error != EAGAIN && error != EBUSY && error != ENOBUFS && error != EINTR) {
        spdlog::debug("AF_XDP sendto: {}", std::strerror(error));
        return pending;
      }
      xdp::reclaim_completions(socket_->completion(), frames_);
      if (unsent() < pending) continue;  // progress
      if (++stalls > kMaxStalls) return pending;
      ++counters.retries;
      back_off();
    }
    return 0;
  }

  // Submitted descriptors the kernel has yet to consume, apart from those given up on.
  std::uint32_t unsent() noexcept {
    const std::uint32_t pending = xdp::tx_pending(socket_->tx());
    if (pending < abandoned_) abandoned_ = pending;  // the kernel took some after all
    return pending - abandoned_;
  }

  std::unique_ptr<XdpSocket> socket_;
  xdp::UmemFrames frames_;
  std::uint32_t abandoned_ = 0;  // descriptors a hard error left in the TX ring
};

// The kernel counts queues per direction; a socket may bind below the larger count.
unsigned queue_count(const std::string& interface) {
  std::error_code error;
  unsigned rx = 0, tx = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator("/sys/class/net/" + interface + "/queues", error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("tx-")) ++tx;
    if (name.starts_with("rx-")) ++rx;
  }
  return std::max(rx, tx);
}

}  // namespace

std::optional<std::string> xdp_precheck(const std::string& interface, packet::LinkHeader link_header,
                                        unsigned threads) {
  if (link_header != packet::LinkHeader::kEthernet) {
    return interface + " carries bare IP (no Ethernet header): AF_XDP sends Ethernet frames";
  }
  const unsigned queues = queue_count(interface);
  if (queues != 0 && queues < threads) {
    return interface + " has " + std::to_string(queues) + " TX queue" + (queues == 1 ? "" : "s") + " for " +
           std::to_string(threads) + " transmit threads (one each: ethtool -L " + interface + " combined " +
           std::to_string(threads) + ", or --tx-threads " + std::to_string(queues) + ")";
  }
  return std::nullopt;
}

std::unique_ptr<FrameSender> make_xdp_sender(const std::string& interface, unsigned queue, XdpSenderInfo& info) {
  route_libxdp_messages();
  // Zero-copy first. Some drivers bind zero-copy but only transmit with an XDP program attached:
  // an empty kick tells, and copy mode is taken instead.
  try {
    auto socket = std::make_unique<XdpSocket>(interface, queue, XDP_ZEROCOPY);
    if (::sendto(socket->fd(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) == 0 || errno == EAGAIN || errno == EBUSY) {
      info.zero_copy = true;
      return std::make_unique<XdpSender>(std::move(socket));
    }
    spdlog::debug("AF_XDP zero-copy on {} cannot transmit ({}): copy mode", interface, std::strerror(errno));
  } catch (const XdpUnavailable& error) {
    spdlog::debug("AF_XDP zero-copy on {}: {}", interface, error.what());
  }
  info.zero_copy = false;
  return std::make_unique<XdpSender>(std::make_unique<XdpSocket>(interface, queue, XDP_COPY));
}

}  // namespace synscan::scanner
