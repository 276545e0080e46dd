#include "net/ip_address.hpp"

namespace synscan::net {

std::optional<IpAddress> IpAddress::parse(std::string_view text) noexcept {
  if (text.find(':') != std::string_view::npos) {
    const std::optional<Ipv6Address> address = Ipv6Address::parse(text);
    if (!address) return std::nullopt;
    return IpAddress(*address);
  }
  const std::optional<Ipv4Address> address = Ipv4Address::parse(text);
  if (!address) return std::nullopt;
  return IpAddress(*address);
}

std::string IpAddress::to_string() const {
  return is_ipv4() ? ipv4().to_string() : ipv6().to_string();
}

std::string ip_problem(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return ipv6_problem(text);
  return ipv4_problem(text);
}

}  // namespace synscan::net
