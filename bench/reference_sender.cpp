// reference_sender: the machine's transmit ceiling, written without libnet.
//
// N threads, each with its own AF_PACKET SOCK_RAW socket bound to IFACE with PACKET_QDISC_BYPASS,
// send pre-built 58-byte Ethernet + IPv4 + TCP SYN frames (valid checksums) whose destination
// walks a /16 of 198.18.0.0/15; each new destination is patched in with an incremental checksum
// update (RFC 1624) of the IPv4 and TCP checksums. Frames leave in sendmmsg batches of 256, or
// with --tx-ring through a PACKET_TX_RING (TPACKET_V2) flushed once per 256 frames, or with --xdp
// through an AF_XDP socket per thread (TX only, no XDP program, thread t on TX queue t, copy mode
// unless --xdp-zerocopy): frames are retargeted in place in the UMEM, 256 descriptors per TX ring
// batch, completions recycle the frames, sendto only when the ring asks for a wakeup.
//
//   reference_sender IFACE THREADS SECONDS [--dst-mac MAC] [--src-ip A.B.C.D] [--net A.B.0.0]
//                    [--tx-ring | --xdp [--xdp-zerocopy]] [--batch N] [--pin] [--json]
//   reference_sender --selftest        (checks the incremental checksums; sends nothing)
//
// Only ever run it inside a network namespace of your own (scripts/bench-throughput does), aimed at
// 198.18.0.0/15 (RFC 2544 benchmarking addresses): it refuses any other destination network.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/ipv4_address.hpp"
#include "net/mac_address.hpp"

namespace {

constexpr std::size_t kFrameSize = 58;  // 14 Ethernet + 20 IPv4 + 24 TCP (SYN with an MSS option)
constexpr std::size_t kIpOffset = 14;
constexpr std::size_t kTcpOffset = 34;
constexpr std::size_t kIpChecksumOffset = kIpOffset + 10;
constexpr std::size_t kIpDestinationOffset = kIpOffset + 16;
constexpr std::size_t kTcpChecksumOffset = kTcpOffset + 16;

using Frame = std::array<std::uint8_t, kFrameSize>;

struct Options {
  std::string interface;
  unsigned threads = 1;
  double seconds = 10;
  std::array<std::uint8_t, 6> destination_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
  std::uint32_t source_ip = 0xC6130001u;  // 198.19.0.1
  std::uint32_t network = 0xC6120000u;    // 198.18.0.0/16
  bool tx_ring = false;
  bool xdp = false;
  bool xdp_zerocopy = false;
  unsigned batch = 256;
  bool pin = false;
  bool json = false;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "reference_sender: %s\n", what.c_str());
  std::exit(2);
}

[[noreturn]] void die_errno(const std::string& what) { die(what + ": " + std::strerror(errno)); }

std::uint16_t load16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
void store16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void store32(std::uint8_t* p, std::uint32_t v) {
  store16(p, static_cast<std::uint16_t>(v >> 16));
  store16(p + 2, static_cast<std::uint16_t>(v));
}

std::uint32_t sum_words(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += load16(p + i);
  if (n & 1) sum += static_cast<std::uint32_t>(p[n - 1]) << 8;
  return sum;
}

std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

// Full checksums, from scratch (template build and self-test).
std::uint16_t ip_checksum(const Frame& f) {
  Frame copy = f;
  store16(copy.data() + kIpChecksumOffset, 0);
  return static_cast<std::uint16_t>(~fold(sum_words(copy.data() + kIpOffset, 20)));
}
std::uint16_t tcp_checksum(const Frame& f) {
  Frame copy = f;
  store16(copy.data() + kTcpChecksumOffset, 0);
  std::uint32_t sum = sum_words(copy.data() + kIpOffset + 12, 8);  // source + destination address
  sum += 6 + 24;                                                    // protocol + TCP length
  sum = sum_words(copy.data() + kTcpOffset, 24, sum);
  return static_cast<std::uint16_t>(~fold(sum));
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for the two 16-bit words of a changed 32-bit field.
std::uint16_t update_checksum(std::uint16_t checksum, std::uint32_t old_value, std::uint32_t new_value) {
  std::uint32_t sum = static_cast<std::uint16_t>(~checksum);
  sum += static_cast<std::uint16_t>(~(old_value >> 16)) + static_cast<std::uint16_t>(~old_value);
  sum += (new_value >> 16) + (new_value & 0xffff);
  return static_cast<std::uint16_t>(~fold(sum));
}

Frame build_template(const Options& options, std::uint32_t destination, std::uint16_t source_port) {
  Frame f{};
  std::memcpy(f.data(), options.destination_mac.data(), 6);
  const std::uint8_t source_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  std::memcpy(f.data() + 6, source_mac, 6);
  store16(f.data() + 12, ETHERTYPE_IP);
  std::uint8_t* ip = f.data() + kIpOffset;
  ip[0] = 0x45;
  store16(ip + 2, 44);  // total length
  store16(ip + 4, 0x1234);
  ip[8] = 64;  // TTL
  ip[9] = 6;   // TCP
  store32(ip + 12, options.source_ip);
  store32(ip + 16, destination);
  std::uint8_t* tcp = f.data() + kTcpOffset;
  store16(tcp, source_port);
  store16(tcp + 2, 80);
  store32(tcp + 4, 0x5eed0001u);
  tcp[12] = 6 << 4;  // data offset: 6 words
  tcp[13] = 0x02;    // SYN
  store16(tcp + 14, 1024);
  tcp[20] = 2;  // MSS option
  tcp[21] = 4;
  store16(tcp + 22, 1460);
  store16(f.data() + kIpChecksumOffset, ip_checksum(f));
  store16(f.data() + kTcpChecksumOffset, tcp_checksum(f));
  return f;
}

// Point a frame at a new destination, patching both checksums incrementally.
inline void retarget(std::uint8_t* f, std::uint32_t new_destination) {
  const std::uint8_t* d = f + kIpDestinationOffset;
  const std::uint32_t old_destination =
      static_cast<std::uint32_t>(d[0]) << 24 | static_cast<std::uint32_t>(d[1]) << 16 |
      static_cast<std::uint32_t>(d[2]) << 8 | d[3];
  store32(f + kIpDestinationOffset, new_destination);
  store16(f + kIpChecksumOffset, update_checksum(load16(f + kIpChecksumOffset), old_destination, new_destination));
  store16(f + kTcpChecksumOffset, update_checksum(load16(f + kTcpChecksumOffset), old_destination, new_destination));
}

int self_test() {
  Options options;
  Frame f = build_template(options, options.network | 1, 40000);
  unsigned failures = 0;
  std::uint32_t state = 12345;
  for (unsigned i = 0; i < 200000; ++i) {
    state = state * 1103515245u + 12345u;
    const std::uint32_t destination = options.network | (i < 65536 ? i : (state >> 8) & 0xffff);
    retarget(f.data(), destination);
    if (load16(f.data() + kIpChecksumOffset) != ip_checksum(f) ||
        load16(f.data() + kTcpChecksumOffset) != tcp_checksum(f)) {
      if (++failures < 5) std::fprintf(stderr, "checksum mismatch at destination %08x\n", destination);
    }
  }
  std::printf("reference_sender self-test: %s (%u mismatches in 200000 retargets)\n",
              failures ? "FAILED" : "ok", failures);
  return failures ? 1 : 0;
}

std::atomic<bool> stop{false};

struct ThreadResult {
  std::uint64_t frames = 0;
  std::uint64_t errors = 0;
  std::uint64_t calls = 0;
};

int open_socket(const Options& options, int ifindex) {
  const int fd = ::socket(AF_PACKET, SOCK_RAW, 0);  // protocol 0: this socket receives nothing
  if (fd < 0) die_errno("socket(AF_PACKET)");
  const int one = 1;
  if (::setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0) die_errno("PACKET_QDISC_BYPASS");
  const int sndbuf = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (options.tx_ring) {
    const int version = TPACKET_V2;
    if (::setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) die_errno("PACKET_VERSION");
  }
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = 0;
  address.sll_ifindex = ifindex;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die_errno("bind " + options.interface);
  return fd;
}

void run_mmsg(const Options& options, int fd, unsigned index, ThreadResult& result) {
  const unsigned batch = options.batch;
  std::vector<Frame> frames(batch);
  std::vector<iovec> iov(batch);
  std::vector<mmsghdr> messages(batch);
  std::uint32_t host = (index * 0x9e37u) & 0xffff;  // threads start at different places of the /16
  for (unsigned i = 0; i < batch; ++i) {
    frames[i] = build_template(options, options.network | host, static_cast<std::uint16_t>(40000 + index));
    iov[i] = {frames[i].data(), kFrameSize};
    messages[i] = {};
    messages[i].msg_hdr.msg_iov = &iov[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  while (!stop.load(std::memory_order_relaxed)) {
    for (unsigned i = 0; i < batch; ++i) {
      host = (host + 1) & 0xffff;
      retarget(frames[i].data(), options.network | host);
    }
    unsigned done = 0;
    while (done < batch) {
      const int sent = ::sendmmsg(fd, messages.data() + done, batch - done, 0);
      ++result.calls;
      if (sent < 0) {
        if (errno == EINTR) continue;
        ++result.errors;
        if (errno == ENOBUFS || errno == EAGAIN) {
          std::this_thread::yield();
          continue;
        }
        die_errno("sendmmsg");
      }
      done += static_cast<unsigned>(sent);
    }
    result.frames += batch;
  }
}

void run_tx_ring(const Options& options, int fd, unsigned index, ThreadResult& result) {
  tpacket_req request{};
  request.tp_block_size = 1 << 16;
  request.tp_frame_size = 256;
  request.tp_block_nr = 64;
  request.tp_frame_nr = request.tp_block_size / request.tp_frame_size * request.tp_block_nr;  // 16384
  if (::setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &request, sizeof request) != 0) die_errno("PACKET_TX_RING");
  const std::size_t ring_bytes = static_cast<std::size_t>(request.tp_block_size) * request.tp_block_nr;
  auto* ring = static_cast<std::uint8_t*>(::mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  if (ring == MAP_FAILED) die_errno("mmap TX ring");
  const std::size_t data_offset = TPACKET2_HDRLEN - sizeof(sockaddr_ll);
  std::uint32_t host = (index * 0x9e37u) & 0xffff;
  const Frame base = build_template(options, options.network | host, static_cast<std::uint16_t>(40000 + index));
  // Every ring slot starts with the template; afterwards each send only retargets the slot's frame.
  for (unsigned i = 0; i < request.tp_frame_nr; ++i) {
    std::memcpy(ring + static_cast<std::size_t>(i) * request.tp_frame_size + data_offset, base.data(), kFrameSize);
  }
  unsigned slot = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    for (unsigned i = 0; i < options.batch; ++i) {
      auto* header = reinterpret_cast<tpacket2_hdr*>(ring + static_cast<std::size_t>(slot) * request.tp_frame_size);
      while (__atomic_load_n(&header->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
        // The kernel still owns the slot: flush and wait until it hands it back.
        ::send(fd, nullptr, 0, 0);
        ++result.calls;
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 1);
        if (stop.load(std::memory_order_relaxed)) return;
      }
      host = (host + 1) & 0xffff;
      retarget(reinterpret_cast<std::uint8_t*>(header) + data_offset, options.network | host);
      header->tp_len = kFrameSize;
      __atomic_store_n(&header->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
      slot = (slot + 1) % request.tp_frame_nr;
    }
    const ssize_t sent = ::send(fd, nullptr, 0, 0);
    ++result.calls;
    if (sent < 0) {
      ++result.errors;
      if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) die_errno("send (TX ring)");
    }
    result.frames += options.batch;
  }
  ::munmap(ring, ring_bytes);
}

#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9
#endif

struct XdpThread {
  static constexpr std::uint32_t kFrames = 4096, kFrameBytes = 2048;
  std::uint8_t* area = nullptr;
  xsk_umem* umem = nullptr;
  xsk_socket* socket = nullptr;
  xsk_ring_prod fill{}, tx{};
  xsk_ring_cons completion{};
};

// Set up before the threads start (like the packet sockets): a failure ends the run at once.
XdpThread open_xdp(const Options& options, unsigned queue) {
  XdpThread x;
  const std::size_t bytes = std::size_t{XdpThread::kFrames} * XdpThread::kFrameBytes;
  void* area = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) die_errno("mmap UMEM");
  x.area = static_cast<std::uint8_t*>(area);
  xsk_umem_config umem_config{64, XdpThread::kFrames, XdpThread::kFrameBytes, 0, 0};
  if (int e = xsk_umem__create(&x.umem, x.area, bytes, &x.fill, &x.completion, &umem_config)) {
    die("xsk_umem__create: " + std::string(std::strerror(-e)));
  }
  xsk_socket_config config{};
  config.tx_size = 2048;
  config.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
  config.bind_flags = static_cast<std::uint16_t>(XDP_USE_NEED_WAKEUP | (options.xdp_zerocopy ? XDP_ZEROCOPY : XDP_COPY));
  if (int e = xsk_socket__create(&x.socket, options.interface.c_str(), queue, x.umem, nullptr, &x.tx, &config)) {
    die("xsk_socket__create on queue " + std::to_string(queue) + ": " + std::strerror(-e));
  }
  const std::uint32_t budget = 256;
  (void)::setsockopt(xsk_socket__fd(x.socket), SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof budget);
  return x;
}

void run_xdp(const Options& options, XdpThread& x, unsigned index, ThreadResult& result) {
  std::uint32_t host = (index * 0x9e37u) & 0xffff;
  const Frame base = build_template(options, options.network | host, static_cast<std::uint16_t>(40000 + index));
  std::vector<std::uint64_t> free_frames;
  for (std::uint32_t i = 0; i < XdpThread::kFrames; ++i) {
    free_frames.push_back(std::uint64_t{i} * XdpThread::kFrameBytes);
    std::memcpy(x.area + free_frames.back(), base.data(), kFrameSize);  // every frame starts as the template
  }
  const int fd = xsk_socket__fd(x.socket);
  while (!stop.load(std::memory_order_relaxed)) {
    std::uint32_t index_in_ring = 0;
    const std::uint32_t done = xsk_ring_cons__peek(&x.completion, XdpThread::kFrames, &index_in_ring);
    for (std::uint32_t i = 0; i < done; ++i) free_frames.push_back(*xsk_ring_cons__comp_addr(&x.completion, index_in_ring + i));
    if (done) xsk_ring_cons__release(&x.completion, done);
    result.frames += done;
    const auto want = static_cast<std::uint32_t>(std::min<std::size_t>(options.batch, free_frames.size()));
    if (want > 0 && xsk_ring_prod__reserve(&x.tx, want, &index_in_ring) == want) {
      for (std::uint32_t i = 0; i < want; ++i) {
        const std::uint64_t address = free_frames.back();
        free_frames.pop_back();
        host = (host + 1) & 0xffff;
        retarget(x.area + address, options.network | host);
        xdp_desc* descriptor = xsk_ring_prod__tx_desc(&x.tx, index_in_ring + i);
        descriptor->addr = address;
        descriptor->len = kFrameSize;
        descriptor->options = 0;
      }
      xsk_ring_prod__submit(&x.tx, want);
    }
    if (xsk_ring_prod__needs_wakeup(&x.tx)) {
      ++result.calls;
      if (::sendto(fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0) {
        if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS && errno != EINTR) die_errno("sendto (AF_XDP)");
        if (errno != EAGAIN) ++result.errors;
      }
    }
  }
}

// synscan's own value types (net/): the same text rules as --router-mac and -S.
std::array<std::uint8_t, 6> parse_mac(const char* text) {
  const std::optional<synscan::net::MacAddress> mac = synscan::net::MacAddress::parse(text);
  if (!mac) die("bad MAC " + std::string(text));
  return mac->octets;
}

std::uint32_t parse_ipv4(const char* text) {
  const std::optional<synscan::net::Ipv4Address> address = synscan::net::Ipv4Address::parse(text);
  if (!address) die("bad IPv4 address " + std::string(text) + ": " + synscan::net::ipv4_problem(text));
  return address->value();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "--selftest") return self_test();
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: reference_sender IFACE THREADS SECONDS [--dst-mac MAC] [--src-ip ADDR] [--net 198.18.0.0|198.19.0.0]\n"
                 "                        [--tx-ring | --xdp [--xdp-zerocopy]] [--batch N] [--pin] [--json]\n"
                 "       reference_sender --selftest\n");
    return 1;
  }
  Options options;
  options.interface = argv[1];
  options.threads = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
  options.seconds = std::strtod(argv[3], nullptr);
  if (options.threads < 1 || options.threads > 64) die("THREADS must be 1..64");
  if (!(options.seconds > 0)) die("SECONDS must be > 0");
  for (int i = 4; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) die(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--dst-mac") options.destination_mac = parse_mac(value());
    else if (arg == "--src-ip") options.source_ip = parse_ipv4(value());
    else if (arg == "--net") options.network = parse_ipv4(value()) & 0xffff0000u;
    else if (arg == "--tx-ring") options.tx_ring = true;
    else if (arg == "--xdp") options.xdp = true;
    else if (arg == "--xdp-zerocopy") options.xdp = options.xdp_zerocopy = true;
    else if (arg == "--batch") options.batch = static_cast<unsigned>(std::strtoul(value(), nullptr, 10));
    else if (arg == "--pin") options.pin = true;
    else if (arg == "--json") options.json = true;
    else die("unknown option " + arg);
  }
  // Safety: only the RFC 2544 benchmarking block 198.18.0.0/15.
  if ((options.network & 0xfffe0000u) != 0xC6120000u) die("--net must be inside 198.18.0.0/15");
  if (options.batch < 1 || options.batch > 4096) die("--batch must be 1..4096");
  const int ifindex = static_cast<int>(::if_nametoindex(options.interface.c_str()));
  if (ifindex == 0) die_errno("interface " + options.interface);

  std::vector<int> sockets;
  std::vector<XdpThread> xdp_sockets;
  if (options.xdp) libxdp_set_print([](libxdp_print_level, const char*, va_list) { return 0; });
  for (unsigned t = 0; t < options.threads; ++t) {
    if (options.xdp) xdp_sockets.push_back(open_xdp(options, t));
    else sockets.push_back(open_socket(options, ifindex));
  }
  std::vector<ThreadResult> results(options.threads);
  std::vector<std::thread> threads;
  const auto started = std::chrono::steady_clock::now();
  for (unsigned t = 0; t < options.threads; ++t) {
    threads.emplace_back([&, t] {
      if (options.pin) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(t % std::max(1u, std::thread::hardware_concurrency()), &set);
        ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
      }
      if (options.xdp) run_xdp(options, xdp_sockets[t], t, results[t]);
      else if (options.tx_ring) run_tx_ring(options, sockets[t], t, results[t]);
      else run_mmsg(options, sockets[t], t, results[t]);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
  stop.store(true);
  for (auto& thread : threads) thread.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (int fd : sockets) ::close(fd);
  for (XdpThread& x : xdp_sockets) {
    xsk_socket__delete(x.socket);
    (void)xsk_umem__delete(x.umem);
    ::munmap(x.area, std::size_t{XdpThread::kFrames} * XdpThread::kFrameBytes);
  }

  std::uint64_t frames = 0, errors = 0, calls = 0;
  for (const auto& r : results) {
    frames += r.frames;
    errors += r.errors;
    calls += r.calls;
  }
  const double fps = static_cast<double>(frames) / elapsed;
  if (options.json) {
    std::printf("{\"threads\":%u,\"mode\":\"%s\",\"batch\":%u,\"seconds\":%.3f,\"frames\":%llu,\"frames_per_s\":%.0f,"
                "\"send_errors\":%llu,\"syscalls\":%llu}\n",
                options.threads, options.xdp ? "xdp" : options.tx_ring ? "tx_ring" : "mmsg", options.batch, elapsed,
                static_cast<unsigned long long>(frames), fps, static_cast<unsigned long long>(errors),
                static_cast<unsigned long long>(calls));
  } else {
    for (unsigned t = 0; t < options.threads; ++t) {
      std::printf("thread %u: %llu frames, %.0f frames/s\n", t, static_cast<unsigned long long>(results[t].frames),
                  static_cast<double>(results[t].frames) / elapsed);
    }
    std::printf("reference_sender: %u thread(s), %s, %.2f s: %llu frames, %.0f frames/s (%llu send errors)\n",
                options.threads, options.xdp ? "AF_XDP" : options.tx_ring ? "PACKET_TX_RING" : "sendmmsg", elapsed,
                static_cast<unsigned long long>(frames), fps, static_cast<unsigned long long>(errors));
  }
  return 0;
}
