#include "arp_sweep.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "fd.hpp"
#include "scanner/errors.hpp"

namespace synscan::scanner {

const net::MacAddress* NeighbourMacs::find(std::uint32_t address) const noexcept {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), address,
                                   [](const auto& entry, std::uint32_t key) { return entry.first < key; });
  return it != entries_.end() && it->first == address ? &it->second : nullptr;
}

std::uint64_t count_on_link(const NextHop& hop, const TargetSet& targets) noexcept {
  if (hop.subnet_mask == 0) return 0;
  const std::uint64_t subnet_first = hop.subnet_address;
  const std::uint64_t subnet_last = subnet_first + (~hop.subnet_mask & 0xFFFFFFFFu);
  std::uint64_t count = 0;
  for (const AddressRange& range : targets.ranges()) {
    const std::uint64_t first = std::max<std::uint64_t>(range.first, subnet_first);
    const std::uint64_t last = std::min<std::uint64_t>(range.last, subnet_last);
    if (first <= last) count += last - first + 1;
  }
  return count;
}

NeighbourMacs arp_sweep(const NextHop& hop, const TargetSet& targets, double packets_per_second,
                        int attempts, int round_wait_ms) {
  std::vector<std::uint32_t> pending;
  for (const AddressRange& range : targets.ranges()) {
    for (std::uint64_t address = range.first; address <= range.last; ++address) {
      if (on_link(hop, static_cast<std::uint32_t>(address))) pending.push_back(static_cast<std::uint32_t>(address));
    }
  }
  std::vector<std::pair<std::uint32_t, net::MacAddress>> found;
  if (pending.empty()) return NeighbourMacs{};

  const Fd socket_fd = open_arp_socket(hop, true);

  const auto drain = [&] {
    std::uint8_t reply[128];
    for (;;) {
      const ssize_t length = ::recv(socket_fd.get(), reply, sizeof reply, 0);
      if (length < 0) return;
      std::uint32_t sender;
      net::MacAddress mac;
      if (parse_arp_reply(reply, static_cast<std::size_t>(length), sender, mac)) found.emplace_back(sender, mac);
    }
  };
  const double interval = packets_per_second > 0 ? 1.0 / packets_per_second : 0.0;
  for (int attempt = 0; attempt < attempts && !pending.empty(); ++attempt) {
    const auto start = std::chrono::steady_clock::now();
    std::uint8_t frame[kArpFrameSize];
    for (std::size_t i = 0; i < pending.size(); ++i) {
      fill_arp_request(frame, hop, pending[i]);
      while (::send(socket_fd.get(), frame, sizeof frame, 0) < 0 && (errno == ENOBUFS || errno == EAGAIN)) {
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
      if ((i & 63) == 0) drain();
      if (interval > 0) {
        std::this_thread::sleep_until(start + std::chrono::duration<double>(interval * static_cast<double>(i + 1)));
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(round_wait_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd waiter{socket_fd.get(), POLLIN, 0};
      ::poll(&waiter, 1, 10);
      drain();
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    found.erase(std::unique(found.begin(), found.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                found.end());
    std::erase_if(pending, [&](std::uint32_t address) {
      return std::binary_search(found.begin(), found.end(),
                                std::make_pair(address, net::MacAddress{}),
                                [](const auto& a, const auto& b) { return a.first < b.first; });
    });
  }
  // Only answers for addresses we asked about count (gratuitous ARP from others is ignored).
  std::erase_if(found, [&](const auto& entry) { return !on_link(hop, entry.first) || !targets.index_of(entry.first); });
  return NeighbourMacs(std::move(found));
}

}  // namespace synscan::scanner
