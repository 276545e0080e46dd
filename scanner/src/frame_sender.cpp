#include "frame_sender.hpp"

#include <libnet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

void back_off() noexcept {
  // The device queue is full: give the NIC (or veth peer) ~20 us to drain before retrying.
  timespec pause{0, 20'000};
  ::nanosleep(&pause, nullptr);
}

bool transient(int error) noexcept { return error == ENOBUFS || error == EAGAIN || error == EINTR; }

class PacketSocketSender final : public FrameSender {
 public:
  PacketSocketSender(int interface_index, packet::LinkHeader link_header) {
    // Protocol 0: this socket only sends, so the kernel never queues received frames to it.
    // SOCK_DGRAM takes frames without a link header; the protocol bound below types them.
    const int type = link_header == packet::LinkHeader::kNone ? SOCK_DGRAM : SOCK_RAW;
    socket_ = Fd(::socket(AF_PACKET, type | SOCK_CLOEXEC, 0));
    if (!socket_.valid()) {
      const int error = errno;
      if (error == EPERM || error == EACCES) {
        throw RuntimeError(
            "synscan needs root or CAP_NET_RAW to send raw packets (socket(AF_PACKET): " +
            std::string(std::strerror(error)) + ")");
      }
      throw RuntimeError("cannot open an AF_PACKET socket: " + std::string(std::strerror(error)));
    }
    const int one = 1;
    // Skipping the qdisc layer saves a lock and a queue per frame; failure only costs speed.
    (void)::setsockopt(socket_.get(), SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    const int send_buffer = 4 << 20;
    (void)::setsockopt(socket_.get(), SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
    sockaddr_ll link{};
    link.sll_family = AF_PACKET;
    link.sll_protocol = htons(ETH_P_IP);
    link.sll_ifindex = interface_index;
    if (::bind(socket_.get(), reinterpret_cast<sockaddr*>(&link), sizeof link) != 0) {
      throw RuntimeError("cannot bind the send socket: " + std::string(std::strerror(errno)));
    }
  }

  std::size_t send(std::span<const FrameRef> frames, SendCounters& counters) override {
    if (frames.size() > vectors_.size()) {
      vectors_.resize(frames.size());
      headers_.resize(frames.size());
    }
    for (std::size_t i = 0; i < frames.size(); ++i) {
      vectors_[i].iov_base = const_cast<std::byte*>(frames[i].data);
      vectors_[i].iov_len = frames[i].size;
      headers_[i] = {};
      headers_[i].msg_hdr.msg_iov = &vectors_[i];
      headers_[i].msg_hdr.msg_iovlen = 1;
    }
    std::size_t done = 0, accepted = 0;
    int consecutive_failures = 0;
    while (done < frames.size()) {
      const int sent = ::sendmmsg(socket_.get(), headers_.data() + done,
                                  static_cast<unsigned>(frames.size() - done), 0);
      if (sent > 0) {
        for (int i = 0; i < sent; ++i) counters.bytes_sent += frames[done + static_cast<std::size_t>(i)].size;
        done += static_cast<std::size_t>(sent);
        accepted += static_cast<std::size_t>(sent);
        counters.frames_sent += static_cast<std::uint64_t>(sent);
        consecutive_failures = 0;
        continue;
      }
      if (sent < 0 && transient(errno) && ++consecutive_failures < 10'000) {
        ++counters.retries;
        back_off();
        continue;
      }
      // A hard error (or a queue that never drains): drop this frame, keep the rest going.
      ++counters.errors;
      ++done;
    }
    return accepted;
  }

 private:
  Fd socket_;
  std::vector<iovec> vectors_;
  std::vector<mmsghdr> headers_;
};

class LibnetSender final : public FrameSender {
 public:
  explicit LibnetSender(const std::string& interface) {
    char error[LIBNET_ERRBUF_SIZE] = {};
    context_ = ::libnet_init(LIBNET_LINK_ADV, interface.c_str(), error);
    if (!context_) throw RuntimeError(std::string("libnet_init failed: ") + error);
  }
  ~LibnetSender() override { ::libnet_destroy(context_); }
  LibnetSender(const LibnetSender&) = delete;
  LibnetSender& operator=(const LibnetSender&) = delete;

  std::size_t send(std::span<const FrameRef> frames, SendCounters& counters) override {
    std::size_t accepted = 0;
    for (const FrameRef& frame : frames) {
      int attempts = 0;
      for (;;) {
        const int written = ::libnet_adv_write_link(
            context_, reinterpret_cast<const std::uint8_t*>(frame.data), frame.size);
        if (written == static_cast<int>(frame.size)) {
          ++counters.frames_sent;
          counters.bytes_sent += frame.size;
          ++accepted;
          break;
        }
        if (transient(errno) && ++attempts < 10'000) {
          ++counters.retries;
          back_off();
          continue;
        }
        ++counters.errors;
        break;
      }
    }
    return accepted;
  }

 private:
  libnet_t* context_ = nullptr;
};

class DiscardingSender final : public FrameSender {
 public:
  std::size_t send(std::span<const FrameRef> frames, SendCounters& counters) override {
    for (const FrameRef& frame : frames) counters.bytes_sent += frame.size;
    counters.frames_sent += frames.size();
    return frames.size();
  }
};

}  // namespace

std::unique_ptr<FrameSender> make_discarding_sender() { return std::make_unique<DiscardingSender>(); }

std::unique_ptr<FrameSender> make_packet_socket_sender(int interface_index,
                                                      packet::LinkHeader link_header) {
  return std::make_unique<PacketSocketSender>(interface_index, link_header);
}

std::unique_ptr<FrameSender> make_libnet_sender(const std::string& interface) {
  return std::make_unique<LibnetSender>(interface);
}

}  // namespace synscan::scanner
