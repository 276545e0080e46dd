#pragma once
// Private pieces of the reply parser shared by the IPv4 (reply.cpp) and IPv6 (reply_ipv6.cpp)
// paths: the L4 header parsers, which read only inside the span they are given.
#include <cstddef>
#include <span>

#include "packet/reply.hpp"

namespace synscan::packet::parsing {

inline constexpr std::size_t kMinimumTcpHeaderSize = 20;
inline constexpr std::size_t kUdpHeaderSize = 8;
inline constexpr std::size_t kIcmpHeaderSize = 8;  // type, code, checksum, 4 bytes (ICMPv6 too)
inline constexpr std::size_t kQuotedL4Size = 8;    // RFC 792 / 4443: at least 8 bytes of L4

/// TCP header at the start of `segment` (the captured bytes of the IP payload); `claimed_size`
/// is the payload size the IP header claims (a data offset beyond it is kBadHeaderLength).
ParseStatus parse_tcp(std::span<const std::byte> segment, std::size_t claimed_size,
                      Reply& out) noexcept;
/// UDP header and payload view (bounded by the UDP length and the captured bytes).
ParseStatus parse_udp(std::span<const std::byte> datagram, Reply& out) noexcept;

}  // namespace synscan::packet::parsing
