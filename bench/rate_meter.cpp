// rate_meter: what a sender's rate looks like at the receiving end.
//
// Reads the frames arriving on IFACE through an AF_PACKET socket with a PACKET_RX_RING
// (TPACKET_V3, 64 bytes of each frame via a classic BPF filter) and the kernel's receive
// timestamps (SO_TIMESTAMPNS is switched on, so frames crossing a veth are stamped when they enter
// the receive backlog, i.e. at send time, not when the softirq drains the backlog in bunches).
// Counts the IPv4 frames addressed to 198.18.0.0/15 and reports for the run:
//   frames, first-to-last-frame duration, achieved rate = (frames - 1) / duration,
//   the largest number of frames in any 1 ms window — both a SLIDING window (any [t, t + 1 ms),
//   anchored at each frame) and FIXED 1 ms bins counted from the first frame —
//   and, given --expect PPS, those maxima divided by the asked per-ms share (PPS / 1000) and the
//   achieved rate's deviation from PPS. Also the ring's drop counter (a measurement with drops is
//   not trustworthy).
//
//   rate_meter IFACE [--expect PPS] [--start-timeout S] [--idle S] [--max-seconds S] [--json]
//
// It starts, prints "rate_meter: listening" on stderr, waits up to --start-timeout (default 30 s)
// for the first frame, then stops when no frame arrived for --idle seconds (default 1), after
// --max-seconds, or on SIGINT/SIGTERM. Run it in the sink namespace; it never sends anything.
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t interrupted = 0;
void on_signal(int) { interrupted = 1; }

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "rate_meter: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(2);
}

std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct Window {
  std::uint64_t sliding = 0;
  std::uint64_t fixed = 0;
};

// Largest count of frames within any `width` ns: sliding (every window starting at a frame) and
// fixed bins [t0 + k*width, t0 + (k+1)*width). `t` must be sorted.
Window largest_window(const std::vector<std::int64_t>& t, std::int64_t width) {
  Window w;
  std::size_t i = 0;
  for (std::size_t j = 0; j < t.size(); ++j) {
    while (t[j] - t[i] >= width) ++i;
    w.sliding = std::max<std::uint64_t>(w.sliding, j - i + 1);
  }
  std::int64_t bin = -1;
  std::uint64_t count = 0;
  for (std::int64_t x : t) {
    const std::int64_t b = (x - t.front()) / width;
    if (b != bin) {
      bin = b;
      count = 0;
    }
    w.fixed = std::max<std::uint64_t>(w.fixed, ++count);
  }
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: rate_meter IFACE [--expect PPS] [--start-timeout S] [--idle S] [--max-seconds S] [--json]\n");
    return 1;
  }
  const std::string interface = argv[1];
  double expect = 0, start_timeout = 30, idle = 1, max_seconds = 600;
  bool json = false;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "rate_meter: %s needs a value\n", arg.c_str());
        std::exit(1);
      }
      return std::strtod(argv[++i], nullptr);
    };
    if (arg == "--expect") expect = value();
    else if (arg == "--start-timeout") start_timeout = value();
    else if (arg == "--idle") idle = value();
    else if (arg == "--max-seconds") max_seconds = value();
    else if (arg == "--json") json = true;
    else {
      std::fprintf(stderr, "rate_meter: unknown option %s\n", arg.c_str());
      return 1;
    }
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  const int ifindex = static_cast<int>(::if_nametoindex(interface.c_str()));
  if (ifindex == 0) die("interface " + interface);
  const int fd = ::socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) die("socket(AF_PACKET)");

  // Keep only IPv4 frames, 64 bytes of each (enough for Ethernet + IPv4 + ports).
  sock_filter code[] = {
      {0x28, 0, 0, 12},        // ldh [12]
      {0x15, 0, 1, 0x0800},    // jeq #0x800, accept, reject
      {0x06, 0, 0, 64},        // ret #64
      {0x06, 0, 0, 0},         // ret #0
  };
  sock_fprog program{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0) die("SO_ATTACH_FILTER");
  const int one = 1;
  // Turns on the kernel's receive timestamping (netstamp_needed), so skb->tstamp is taken at netif_rx.
  if (::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0) die("SO_TIMESTAMPNS");
  const int version = TPACKET_V3;
  if (::setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) die("PACKET_VERSION");
  tpacket_req3 request{};
  request.tp_block_size = 1 << 20;
  request.tp_block_nr = 64;
  request.tp_frame_size = 2048;
  request.tp_frame_nr = request.tp_block_size / request.tp_frame_size * request.tp_block_nr;
  request.tp_retire_blk_tov = 10;  // ms: hand partly filled blocks over soon
  if (::setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &request, sizeof request) != 0) die("PACKET_RX_RING");
  const std::size_t ring_bytes = static_cast<std::size_t>(request.tp_block_size) * request.tp_block_nr;
  auto* ring = static_cast<std::uint8_t*>(::mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0));
  if (ring == MAP_FAILED) {
    ring = static_cast<std::uint8_t*>(::mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    if (ring == MAP_FAILED) die("mmap RX ring");
  }
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = ifindex;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("bind " + interface);
  // Reset the statistics (reading them clears them), so drops count from here.
  tpacket_stats_v3 stats{};
  socklen_t stats_length = sizeof stats;
  ::getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &stats, &stats_length);

  std::vector<std::int64_t> stamps;
  stamps.reserve(8u << 20);
  std::uint64_t other = 0;
  std::fprintf(stderr, "rate_meter: listening on %s\n", interface.c_str());
  std::fflush(stderr);

  const std::int64_t started = monotonic_ns();
  std::int64_t first_seen = 0, last_seen = 0;  // monotonic, for the stop conditions
  unsigned block = 0;
  bool timed_out = false;
  while (!interrupted) {
    auto* descriptor = reinterpret_cast<tpacket_block_desc*>(ring + static_cast<std::size_t>(block) * request.tp_block_size);
    if ((__atomic_load_n(&descriptor->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) {
      pollfd p{fd, POLLIN | POLLERR, 0};
      ::poll(&p, 1, 50);
      const std::int64_t now = monotonic_ns();
      if (first_seen == 0 && now - started > static_cast<std::int64_t>(start_timeout * 1e9)) {
        timed_out = true;
        break;
      }
      if (first_seen != 0 && now - last_seen > static_cast<std::int64_t>(idle * 1e9)) break;
      if (first_seen != 0 && now - first_seen > static_cast<std::int64_t>(max_seconds * 1e9)) break;
      continue;
    }
    const std::uint32_t count = descriptor->hdr.bh1.num_pkts;
    auto* packet = reinterpret_cast<tpacket3_hdr*>(reinterpret_cast<std::uint8_t*>(descriptor) + descriptor->hdr.bh1.offset_to_first_pkt);
    bool any = false;
    for (std::uint32_t k = 0; k < count; ++k) {
      const std::uint8_t* frame = reinterpret_cast<std::uint8_t*>(packet) + packet->tp_mac;
      bool ours = false;
      if (packet->tp_snaplen >= 34 && frame[12] == 0x08 && frame[13] == 0x00 && (frame[14] >> 4) == 4) {
        const std::uint32_t destination = static_cast<std::uint32_t>(frame[30]) << 24 | static_cast<std::uint32_t>(frame[31]) << 16 |
                                          static_cast<std::uint32_t>(frame[32]) << 8 | frame[33];
        ours = (destination & 0xfffe0000u) == 0xC6120000u;  // 198.18.0.0/15
      }
      if (ours) {
        stamps.push_back(static_cast<std::int64_t>(packet->tp_sec) * 1000000000 + packet->tp_nsec);
        any = true;
      } else {
        ++other;
      }
      packet = reinterpret_cast<tpacket3_hdr*>(reinterpret_cast<std::uint8_t*>(packet) + packet->tp_next_offset);
    }
    __atomic_store_n(&descriptor->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    block = (block + 1) % request.tp_block_nr;
    if (any) {
      last_seen = monotonic_ns();
      if (first_seen == 0) first_seen = last_seen;
    }
  }
  stats_length = sizeof stats;
  ::getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &stats, &stats_length);
  ::munmap(ring, ring_bytes);
  ::close(fd);

  std::sort(stamps.begin(), stamps.end());
  const std::uint64_t frames = stamps.size();
  const double duration = frames >= 2 ? static_cast<double>(stamps.back() - stamps.front()) / 1e9 : 0;
  const double rate = duration > 0 ? static_cast<double>(frames - 1) / duration : 0;
  const Window ms = frames ? largest_window(stamps, 1000000) : Window{};
  const Window ten_ms = frames ? largest_window(stamps, 10000000) : Window{};
  const double share = expect / 1000;  // asked frames per ms
  const double burst_sliding = share > 0 ? static_cast<double>(ms.sliding) / share : 0;
  const double burst_fixed = share > 0 ? static_cast<double>(ms.fixed) / share : 0;
  const double rate_error = expect > 0 ? (rate - expect) / expect : 0;
  if (json) {
    std::printf("{\"frames\":%llu,\"other_frames\":%llu,\"ring_drops\":%u,\"duration_s\":%.6f,\"rate_pps\":%.1f,"
                "\"expect_pps\":%.0f,\"rate_error\":%.5f,\"max_1ms_sliding\":%llu,\"max_1ms_fixed\":%llu,"
                "\"max_10ms_sliding\":%llu,\"per_ms_share\":%.3f,\"burst_ratio_sliding\":%.3f,\"burst_ratio_fixed\":%.3f,"
                "\"timed_out\":%s}\n",
                static_cast<unsigned long long>(frames), static_cast<unsigned long long>(other), stats.tp_drops, duration, rate,
                expect, rate_error, static_cast<unsigned long long>(ms.sliding), static_cast<unsigned long long>(ms.fixed),
                static_cast<unsigned long long>(ten_ms.sliding), share, burst_sliding, burst_fixed,
                timed_out ? "true" : "false");
  } else {
    std::printf("frames %llu (other %llu, ring drops %u) over %.3f s first-to-last: %.0f frames/s\n",
                static_cast<unsigned long long>(frames), static_cast<unsigned long long>(other), stats.tp_drops, duration, rate);
    std::printf("largest 1 ms window: %llu frames sliding, %llu in fixed bins; largest 10 ms sliding: %llu\n",
                static_cast<unsigned long long>(ms.sliding), static_cast<unsigned long long>(ms.fixed),
                static_cast<unsigned long long>(ten_ms.sliding));
    if (expect > 0) {
      std::printf("asked %.0f pps: achieved %+.2f%%; per-ms share %.2f, largest 1 ms burst %.2fx (sliding) %.2fx (fixed)\n",
                  expect, rate_error * 100, share, burst_sliding, burst_fixed);
    }
    if (timed_out) std::printf("no frame arrived within %.0f s\n", start_timeout);
  }
  return timed_out ? 3 : 0;
}
