// The lab's VPN: one end of a point-to-point tunnel. Creates a tun device (IFF_TUN | IFF_NO_PI:
// bare IP packets, DLT_RAW to libpcap), and relays every packet between it and a UDP socket
// connected to the other end, like a WireGuard or OpenVPN tunnel without the cryptography.
//
//   tun_relay TUN_NAME LOCAL_IP LOCAL_PORT PEER_IP PEER_PORT
//   tun_relay TUN_NAME --sink      read and discard everything (scripts/bench-raw-ip-send)
//
// Prints "ready" once the device exists and the socket is bound; the caller then configures the
// device (addresses, routes). The device is not persistent: it disappears when this process
// exits, so killing the relay cleans up. On SIGTERM/SIGINT prints one line of counters
// ("tun->udp N udp->tun M drops D") and exits 0. Reads and writes are batched: up to kBatch
// packets from the tun go out in one sendmmsg, up to kBatch datagrams come in with one recvmmsg.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr int kBatch = 64;
constexpr std::size_t kMtu = 2048;

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "tun_relay: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

int open_tun(const char* name) {
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) die("open /dev/net/tun");
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
  if (::ioctl(fd, TUNSETIFF, &request) != 0) die("TUNSETIFF");
  return fd;
}

sockaddr_in address_of(const char* ip, const char* port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(port)));
  if (::inet_pton(AF_INET, ip, &address.sin_addr) != 1) {
    std::fprintf(stderr, "tun_relay: bad address %s\n", ip);
    std::exit(2);
  }
  return address;
}

int open_underlay(const sockaddr_in& local, const sockaddr_in& peer) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  const int buffer = 8 << 20;
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) die("bind");
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&peer), sizeof peer) != 0) die("connect");
  return fd;
}

struct Relay {
  int tun = -1, udp = -1;
  std::vector<char> buffers = std::vector<char>(kBatch * kMtu);
  iovec vectors[kBatch]{};
  mmsghdr headers[kBatch]{};
  unsigned long long tun_to_udp = 0, udp_to_tun = 0, drops = 0;

  Relay() {
    for (int i = 0; i < kBatch; ++i) {
      vectors[i] = {buffers.data() + i * kMtu, kMtu};
      headers[i].msg_hdr.msg_iov = &vectors[i];
      headers[i].msg_hdr.msg_iovlen = 1;
    }
  }

  // tun -> UDP: read up to a batch of packets, send them in one sendmmsg.
  bool from_tun() {
    int count = 0;
    while (count < kBatch) {
      const ssize_t size = ::read(tun, buffers.data() + count * kMtu, kMtu);
      if (size <= 0) break;
      vectors[count].iov_len = static_cast<std::size_t>(size);
      ++count;
    }
    for (int done = 0; done < count;) {
      const int sent = ::sendmmsg(udp, headers + done, static_cast<unsigned>(count - done), 0);
      if (sent <= 0) {
        drops += static_cast<unsigned long long>(count - done);  // underlay full: a lossy link
        break;
      }
      done += sent;
      tun_to_udp += static_cast<unsigned long long>(sent);
    }
    for (int i = 0; i < count; ++i) vectors[i].iov_len = kMtu;
    return count == kBatch;
  }

  // UDP -> tun: one recvmmsg, then a write per packet (a tun takes one packet per write).
  bool from_udp() {
    const int received = ::recvmmsg(udp, headers, kBatch, MSG_DONTWAIT, nullptr);
    if (received <= 0) return false;
    for (int i = 0; i < received; ++i) {
      if (::write(tun, buffers.data() + i * kMtu, headers[i].msg_len) < 0) {
        ++drops;
      } else {
        ++udp_to_tun;
      }
    }
    return received == kBatch;
  }
};

}  // namespace

// The drain for send benchmarks: reads every packet the kernel queues to the tun and drops it,
// so the sender never sees a full device queue unless this loop is the bottleneck.
int sink(const char* name) {
  const int tun = open_tun(name);
  std::printf("ready\n");
  std::fflush(stdout);
  pollfd waiter{tun, POLLIN, 0};
  char packet[kMtu];
  unsigned long long drained = 0;
  while (!stop_requested) {
    if (::poll(&waiter, 1, 200) < 0 && errno != EINTR) die("poll");
    while (::read(tun, packet, sizeof packet) > 0) ++drained;
  }
  std::printf("drained %llu\n", drained);
  std::fflush(stdout);
  return 0;
}

int main(int argc, char** argv) {
  struct sigaction action{};
  action.sa_handler = on_signal;
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  if (argc == 3 && std::strcmp(argv[2], "--sink") == 0) return sink(argv[1]);
  if (argc != 6) {
    std::fprintf(stderr, "usage: tun_relay TUN_NAME LOCAL_IP LOCAL_PORT PEER_IP PEER_PORT\n"
                         "       tun_relay TUN_NAME --sink\n");
    return 2;
  }
  Relay relay;
  relay.tun = open_tun(argv[1]);
  relay.udp = open_underlay(address_of(argv[2], argv[3]), address_of(argv[4], argv[5]));
  std::printf("ready\n");
  std::fflush(stdout);
  pollfd waiters[2] = {{relay.tun, POLLIN, 0}, {relay.udp, POLLIN, 0}};
  while (!stop_requested) {
    if (::poll(waiters, 2, 200) < 0 && errno != EINTR) die("poll");
    // Drain both sides fully before polling again: a poll per packet would halve the capacity.
    bool more = true;
    while (more && !stop_requested) {
      more = false;
      if (relay.from_tun()) more = true;
      if (relay.from_udp()) more = true;
    }
  }
  std::printf("tun->udp %llu udp->tun %llu drops %llu\n", relay.tun_to_udp, relay.udp_to_tun,
              relay.drops);
  std::fflush(stdout);
  return 0;
}
