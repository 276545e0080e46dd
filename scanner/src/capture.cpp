#include "capture.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

struct ProgramDeleter {
  void operator()(bpf_program* program) const noexcept {
    pcap_freecode(program);
    delete program;
  }
};

}  // namespace

PcapHandle::PcapHandle(const CaptureOptions& options) {
  char error[PCAP_ERRBUF_SIZE] = {};
  handle_.reset(pcap_create(options.interface.c_str(), error));
  if (!handle_) throw RuntimeError(fmt::format("pcap_create({}): {}", options.interface, error));
  pcap_t* handle = handle_.get();
  const auto check = [&](int status, const char* step) {
    if (status != 0) throw RuntimeError(fmt::format("{} on {}: {}", step, options.interface,
                                                    pcap_statustostr(status)));
  };
  check(pcap_set_snaplen(handle, options.snaplen), "pcap_set_snaplen");
  check(pcap_set_promisc(handle, 0), "pcap_set_promisc");
  check(pcap_set_immediate_mode(handle, 1), "pcap_set_immediate_mode");
  check(pcap_set_buffer_size(handle, options.buffer_bytes), "pcap_set_buffer_size");
  check(pcap_set_timeout(handle, options.timeout_ms), "pcap_set_timeout");
  const int activated = pcap_activate(handle);
  if (activated < 0) {
    const std::string why = activated == PCAP_ERROR_PERM_DENIED
                                ? "synscan needs root or CAP_NET_RAW to capture replies"
                                : std::string(pcap_geterr(handle));
    throw RuntimeError(fmt::format("cannot capture on {}: {}", options.interface, why));
  }
  // Only what arrives: our own outgoing probes would otherwise be parsed and rejected.
  (void)pcap_setdirection(handle, PCAP_D_IN);

  std::unique_ptr<bpf_program, ProgramDeleter> program(new bpf_program{});
  if (pcap_compile(handle, program.get(), options.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    delete program.release();  // a failed compile leaves nothing for pcap_freecode
    throw RuntimeError(fmt::format("bad capture filter '{}': {}", options.filter, pcap_geterr(handle)));
  }
  if (pcap_setfilter(handle, program.get()) != 0) {
    throw RuntimeError(fmt::format("cannot install the capture filter: {}", pcap_geterr(handle)));
  }
}

CaptureDrops PcapHandle::drops() const noexcept {
  pcap_stat stats{};
  if (pcap_stats(handle_.get(), &stats) != 0) return {};
  return {stats.ps_drop, stats.ps_ifdrop};
}

namespace {

// libpcap as the engine's reply source; a dispatch hands over what pcap_dispatch delivers within
// the capture timeout.
class PcapSource final : public FrameSource {
 public:
  explicit PcapSource(PcapHandle handle) : handle_(std::move(handle)) {}
  bool dispatch(Handler handler, void* context) override {
    Call call{handler, context};
    if (pcap_dispatch(handle_.get(), -1, &PcapSource::on_frame, reinterpret_cast<u_char*>(&call)) ==
        PCAP_ERROR) {
      spdlog::error("capture failed: {}", pcap_geterr(handle_.get()));
      return false;
    }
    return true;
  }
  // libpcap >= 1.10 signals an eventfd, which wakes a dispatch blocked in poll().
  void wake() noexcept override { pcap_breakloop(handle_.get()); }
  [[nodiscard]] CaptureDrops drops() const noexcept override { return handle_.drops(); }

 private:
  struct Call {
    Handler handler;
    void* context;
  };
  static void on_frame(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
    const Call& call = *reinterpret_cast<const Call*>(user);
    call.handler(call.context,
                 std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes), header->caplen));
  }
  PcapHandle handle_;
};

}  // namespace

std::optional<packet::LinkType> link_type_of(int datalink) noexcept {
  switch (datalink) {
    case DLT_EN10MB:
      return packet::LinkType::kEthernet;
    case DLT_RAW:   // what libpcap reports for tun/WireGuard on Linux
    case DLT_IPV4:  // LINKTYPE_IPV4
      return packet::LinkType::kRawIp;
    case DLT_LINUX_SLL:
      return packet::LinkType::kLinuxCooked;
    case DLT_LINUX_SLL2:
      return packet::LinkType::kLinuxCooked2;
    default:
      return std::nullopt;
  }
}

std::unique_ptr<FrameSource> make_pcap_source(PcapHandle handle) {
  return std::make_unique<PcapSource>(std::move(handle));
}

}  // namespace synscan::scanner
