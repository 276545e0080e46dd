#pragma once
// libpcap capture of replies, opened in two phases (create, configure, activate) with a kernel
// BPF filter so only candidate replies ever reach user space.
#include <pcap/pcap.h>

#include <cstdint>
#include <memory>
#include <string>

namespace synscan::scanner {

struct CaptureOptions {
  std::string interface;
  std::string filter;                 ///< BPF text
  int buffer_bytes = 64 << 20;        ///< kernel ring: >= 32 MiB so bursts at rate don't drop
  int snaplen = 256;                  ///< headers only: Eth + IPv4 + ICMP + quoted IPv4 + 8
  int timeout_ms = 50;                ///< how often the loop returns to check for stop
};

struct CaptureDrops {
  std::uint64_t kernel_drops = 0;     ///< ps_drop: ring full
  std::uint64_t interface_drops = 0;  ///< ps_ifdrop
};

/// Move-only owner of an activated pcap_t.
class PcapHandle {
 public:
  /// Throws RuntimeError naming the step and pcap's message when any phase fails.
  explicit PcapHandle(const CaptureOptions& options);
  PcapHandle(PcapHandle&&) noexcept = default;
  PcapHandle& operator=(PcapHandle&&) noexcept = default;

  [[nodiscard]] pcap_t* get() const noexcept { return handle_.get(); }
  [[nodiscard]] int datalink() const noexcept { return pcap_datalink(handle_.get()); }
  /// Current drop counters (pcap_stats); zeros when unsupported.
  [[nodiscard]] CaptureDrops drops() const noexcept;

 private:
  struct Closer {
    void operator()(pcap_t* handle) const noexcept { pcap_close(handle); }
  };
  std::unique_ptr<pcap_t, Closer> handle_;
};

/// BPF for replies to a probe sent from `source_ip` with source ports [first, last].
std::string reply_filter(std::uint32_t source_ip, std::uint16_t first_port, std::uint16_t last_port);

}  // namespace synscan::scanner
