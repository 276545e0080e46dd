#pragma once
// An in-memory link for engine tests: the engine's FrameSenders hand probe frames to a Wire, which
// asks a truth function how the target answers and queues the reply frames; the engine's
// FrameSource takes them off the queue. No root, no network: the whole engine (order, transmitter,
// receiver, state table, collector, writers) runs as in a real scan.
//
// Reply frames are assembled independently of the library (tests/packet/test_frames.hpp).
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <tuple>
#include <vector>

#include "../packet/test_frames.hpp"
#include "packet/reply.hpp"
#include "packet/udp_payloads.hpp"
#include "scanner/link.hpp"

namespace synscan::scanner::test {

using packet::test::Bytes;

/// How a target answers one probe.
enum class Answer : std::uint8_t {
  kSilent,              ///< no reply (lost on every try)
  kSynAck,              ///< TCP: SYN-ACK acknowledging the cookie
  kReset,               ///< TCP: RST-ACK acknowledging the cookie
  kUdpReply,            ///< UDP: a reply from the probed port, echoing the cookie where it must
  kUdpWrongEcho,        ///< UDP: a reply whose echoed id is not the cookie (not ours)
  kWrongCookie,         ///< TCP: a SYN-ACK acknowledging something else (not ours)
  kIcmpPortUnreach,     ///< ICMP 3/3 from the target
  kIcmpPortUnreachRouter,  ///< ICMP 3/3 from a router on the way
  kIcmpHostUnreach,     ///< ICMP 3/1
  kIcmpHostProhibited,  ///< ICMP 3/10
  kIcmpAdminProhibited, ///< ICMP 3/13
  kIcmpTimeExceeded,    ///< ICMP 11/0
};

struct Behaviour {
  Answer answer = Answer::kSilent;
  unsigned copies = 1;         ///< > 1: duplicates of the reply
  bool lose_first = false;     ///< the first try is lost; the retry is answered
  bool late = false;           ///< the reply is held until the host's record is written
};

struct Probe {
  std::uint32_t target;
  std::uint16_t port;
  bool udp;
};

using Truth = std::function<Behaviour(const Probe&)>;

inline constexpr std::uint32_t kScannerIp = 0xC6130001;  // 198.19.0.1
inline constexpr std::uint32_t kRouterIp = 0xC613FFFE;   // 198.19.255.254, not a target
inline constexpr std::uint8_t kReplyTtl = 57;

class Wire {
 public:
  /// `raw_ip`: probes and replies carry no link header (a tun), else Ethernet II frames.
  explicit Wire(Truth truth, bool raw_ip = false) : truth_(std::move(truth)), raw_ip_(raw_ip) {}
  [[nodiscard]] bool raw_ip() const noexcept { return raw_ip_; }

  /// A probe frame from the engine: counted, answered per the truth.
  void carry(std::span<const std::byte> frame) {
    packet::Reply probe;
    const packet::LinkType link = raw_ip_ ? packet::LinkType::kRawIp : packet::LinkType::kEthernet;
    if (packet::parse_captured_frame(link, frame, probe) != packet::ParseStatus::kOk) {
      std::lock_guard lock(mutex_);
      ++malformed_probes_;
      return;
    }
    const bool udp = probe.protocol == packet::kProtocolUdp;
    const Probe key{probe.destination_ip, probe.destination_port, udp};
    const Behaviour behaviour = truth_(key);
    std::lock_guard lock(mutex_);
    const unsigned tries = ++tries_[{key.target, key.port, udp}];
    if (behaviour.answer == Answer::kSilent || tries > (behaviour.lose_first ? 2u : 1u) ||
        (behaviour.lose_first && tries == 1)) {
      return;
    }
    Bytes reply = reply_to(frame.subspan(raw_ip_ ? 0 : 14), probe, behaviour.answer);
    if (raw_ip_) reply.erase(reply.begin(), reply.begin() + 14);  // frame_of builds Ethernet
    if (behaviour.late) {
      held_[key.target].push_back(reply);
      return;
    }
    for (unsigned copy = 0; copy < behaviour.copies; ++copy) queue_.push_back({reply, 0});
    ready_.notify_all();
  }

  /// Releases the held (late) replies to `target` and waits until the receiver has handled them.
  /// False when it did not within `timeout`.
  bool deliver_late(std::uint32_t target, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    auto held = held_.find(target);
    if (held == held_.end()) return true;
    for (Bytes& reply : held->second) queue_.push_back({std::move(reply), target});
    const std::size_t count = held->second.size();
    held_.erase(held);
    late_released_ += count;
    ready_.notify_all();
    return handled_.wait_for(lock, timeout, [&] { return late_handled_[target] >= count; });
  }

  /// FrameSource::dispatch: replies that arrive within 20 ms, handed over outside the lock.
  void dispatch(FrameSource::Handler handler, void* context) {
    std::deque<Queued> taken;
    {
      std::unique_lock lock(mutex_);
      ready_.wait_for(lock, std::chrono::milliseconds(20), [&] { return !queue_.empty() || woken_; });
      taken.swap(queue_);
    }
    for (const Queued& queued : taken) {
      handler(context, queued.frame);
      if (queued.late_target != 0) {
        std::lock_guard lock(mutex_);
        ++late_handled_[queued.late_target];
        handled_.notify_all();
      }
    }
  }
  void wake() {
    std::lock_guard lock(mutex_);
    woken_ = true;
    ready_.notify_all();
  }

  [[nodiscard]] unsigned tries(std::uint32_t target, std::uint16_t port, bool udp) const {
    std::lock_guard lock(mutex_);
    const auto found = tries_.find({target, port, udp});
    return found == tries_.end() ? 0 : found->second;
  }
  [[nodiscard]] std::uint64_t probes_seen() const {
    std::lock_guard lock(mutex_);
    std::uint64_t total = 0;
    for (const auto& [key, count] : tries_) total += count;
    return total;
  }
  [[nodiscard]] std::uint64_t malformed_probes() const {
    std::lock_guard lock(mutex_);
    return malformed_probes_;
  }
  [[nodiscard]] std::uint64_t late_released() const {
    std::lock_guard lock(mutex_);
    return late_released_;
  }

 private:
  struct Queued {
    Bytes frame;
    std::uint32_t late_target;  ///< 0 = not a late reply
  };
  struct Key {
    std::uint32_t target;
    std::uint16_t port;
    bool udp;
    bool operator<(const Key& other) const {
      return std::tie(target, port, udp) < std::tie(other.target, other.port, other.udp);
    }
  };

  // `packet`: the probe from its IPv4 header on. Returns an Ethernet frame.
  static Bytes reply_to(std::span<const std::byte> packet, const packet::Reply& probe, Answer answer) {
    using namespace packet::test;
    const std::uint32_t target = probe.destination_ip;
    const auto ip = [&](std::uint32_t source, unsigned protocol) {
      return Ipv4Fields{source, kScannerIp, protocol, kReplyTtl};
    };
    const auto icmp = [&](std::uint32_t source, unsigned type, unsigned code) {
      // The quote: the probe's IPv4 header and the first 8 bytes of its L4 header.
      const auto quote = packet.subspan(0, 28);
      return frame_of(ip(source, 1), icmp_error(type, code, quote));
    };
    const auto tcp = [&](unsigned flags, std::uint32_t acknowledgment) {
      return frame_of(ip(target, 6),
                      tcp_segment(target, kScannerIp,
                                  {probe.destination_port, probe.source_port, 0x1000, acknowledgment, flags, 512}));
    };
    switch (answer) {
      case Answer::kSynAck: return tcp(0x12, probe.tcp_sequence + 1);
      case Answer::kReset: return tcp(0x14, probe.tcp_sequence + 1);
      case Answer::kWrongCookie: return tcp(0x12, probe.tcp_sequence + 2);
      case Answer::kUdpReply:
      case Answer::kUdpWrongEcho: {
        const Bytes payload = udp_reply_payload(probe, answer == Answer::kUdpWrongEcho);
        return frame_of(ip(target, 17),
                        udp_datagram(target, kScannerIp, probe.destination_port, probe.source_port, payload));
      }
      case Answer::kIcmpPortUnreach: return icmp(target, 3, 3);
      case Answer::kIcmpPortUnreachRouter: return icmp(kRouterIp, 3, 3);
      case Answer::kIcmpHostUnreach: return icmp(kRouterIp, 3, 1);
      case Answer::kIcmpHostProhibited: return icmp(kRouterIp, 3, 10);
      case Answer::kIcmpAdminProhibited: return icmp(kRouterIp, 3, 13);
      case Answer::kIcmpTimeExceeded: return icmp(kRouterIp, 11, 0);
      case Answer::kSilent: break;
    }
    return {};
  }

  // A reply payload that echoes the request's id where the port's protocol does (or a wrong id).
  static Bytes udp_reply_payload(const packet::Reply& probe, bool wrong) {
    static const packet::UdpPayloadTable table = packet::UdpPayloadTable::builtin();
    const packet::CookieEcho echo = table.for_port(probe.destination_port).echo;
    Bytes payload(std::max<std::size_t>(std::size_t{echo.reply_offset} + echo.width, 16), std::byte{0});
    for (unsigned i = 0; i < echo.width; ++i) {
      payload[echo.reply_offset + i] = probe.udp_payload[echo.request_offset + i];
    }
    if (wrong && echo.width != 0) payload[echo.reply_offset] ^= std::byte{0x5A};
    return payload;
  }

  Truth truth_;
  bool raw_ip_ = false;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable handled_;
  std::deque<Queued> queue_;
  std::map<Key, unsigned> tries_;
  std::map<std::uint32_t, std::vector<Bytes>> held_;
  std::map<std::uint32_t, std::size_t> late_handled_;
  std::uint64_t malformed_probes_ = 0;
  std::uint64_t late_released_ = 0;
  bool woken_ = false;
};

class WireSender final : public FrameSender {
 public:
  explicit WireSender(std::shared_ptr<Wire> wire) : wire_(std::move(wire)) {}
  std::size_t send(std::span<const FrameRef> frames, SendCounters& counters) override {
    for (const FrameRef& frame : frames) {
      wire_->carry(std::span<const std::byte>(frame.data, frame.size));
      ++counters.frames_sent;
      counters.bytes_sent += frame.size;
    }
    return frames.size();
  }

 private:
  std::shared_ptr<Wire> wire_;
};

class WireSource final : public FrameSource {
 public:
  explicit WireSource(std::shared_ptr<Wire> wire) : wire_(std::move(wire)) {}
  bool dispatch(Handler handler, void* context) override {
    wire_->dispatch(handler, context);
    return true;
  }
  void wake() noexcept override { wire_->wake(); }
  [[nodiscard]] CaptureDrops drops() const noexcept override { return {}; }

 private:
  std::shared_ptr<Wire> wire_;
};

inline std::unique_ptr<InjectedLink> make_link(const std::shared_ptr<Wire>& wire) {
  auto link = std::make_unique<InjectedLink>();
  link->source_ip = kScannerIp;
  link->source_mac = net::MacAddress{{0x02, 0, 0, 0, 0, 0x01}};
  link->next_hop_mac = net::MacAddress{{0x02, 0, 0, 0, 0, 0x02}};
  link->raw_ip = wire->raw_ip();
  link->make_sender = [wire](unsigned) { return std::make_unique<WireSender>(wire); };
  link->source = std::make_unique<WireSource>(wire);
  return link;
}

}  // namespace synscan::scanner::test
