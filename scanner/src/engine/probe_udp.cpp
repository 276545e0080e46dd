#include "engine/probe_udp.hpp"

#include <utility>

namespace synscan::scanner::engine {

UdpProbe::UdpProbe(const packet::FrameAddressing& addressing, packet::UdpPayloadTable payloads,
                   std::span<const std::uint16_t> ports)
    : payloads_(std::move(payloads)) {
  constexpr std::uint32_t kNone = ~std::uint32_t{0};
  std::vector<std::uint32_t> template_of_payload(payloads_.payloads().size(), kNone);
  for (const std::uint16_t port : ports) {
    const std::size_t payload = payloads_.index_for_port(port);
    if (template_of_payload[payload] == kNone) {
      const packet::UdpPayload& chosen = payloads_.payloads()[payload];
      template_of_payload[payload] = static_cast<std::uint32_t>(templates_.size());
      templates_.emplace_back(addressing, chosen.bytes, chosen.echo);
    }
    template_of_probe_.push_back(template_of_payload[payload]);
  }
}

}  // namespace synscan::scanner::engine
