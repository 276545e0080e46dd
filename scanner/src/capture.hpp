#pragma once
// libpcap capture of replies, opened in two phases (create, configure, activate) with a kernel
// BPF filter so only candidate replies ever reach user space.
#include <pcap/pcap.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "packet/reply.hpp"
#include "scanner/link.hpp"

namespace synscan::scanner {

struct CaptureOptions {
  std::string interface;
  std::string filter;                 ///< BPF text
  int buffer_bytes = 64 << 20;        ///< kernel ring: >= 32 MiB so bursts at rate don't drop
  int snaplen = 256;                  ///< headers only: Eth + IPv4 + ICMP + quoted IPv4 + 8
  int timeout_ms = 50;                ///< how often the loop returns to check for stop
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

/// The parser's link type for a pcap_datalink() value; nullopt for a link synscan cannot parse.
std::optional<packet::LinkType> link_type_of(int datalink) noexcept;

/// The handle as the engine's reply source (scanner/link.hpp).
std::unique_ptr<FrameSource> make_pcap_source(PcapHandle handle);

}  // namespace synscan::scanner
