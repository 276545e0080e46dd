#pragma once
// One rtnetlink request and its answer, for the setup-time lookups of the IPv6 next hop (route,
// neighbour table). Not on any per-packet path.
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

namespace synscan::scanner {

/// A route attribute (struct rtattr / nlattr): its type and payload bytes.
struct NetlinkAttribute {
  unsigned short type;
  std::span<const std::byte> payload;
};

/// Sends `request` (a complete nlmsghdr + body, nlmsg_seq is set here) on a fresh NETLINK_ROUTE
/// socket and calls `on_message(header, body)` for every answer message until the kernel is done
/// (one message, or NLMSG_DONE after a dump). Returns 0, or the positive errno the kernel answered
/// with (NLMSG_ERROR). Throws RuntimeError when the socket cannot be used.
int netlink_exchange(std::span<std::byte> request,
                     const std::function<void(const nlmsghdr&, std::span<const std::byte>)>& on_message);

/// Calls `on_attribute` for every attribute in `attributes` (the bytes after a fixed header such
/// as rtmsg or ndmsg), bounds-checked: a truncated or lying attribute ends the walk.
void for_each_attribute(std::span<const std::byte> attributes,
                        const std::function<void(const NetlinkAttribute&)>& on_attribute);

}  // namespace synscan::scanner
