// rtnetlink request/answer (netlink.hpp). Messages are read through memcpy into the kernel's
// structs, each length checked against the bytes received.
#include "netlink.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "fd.hpp"
#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

constexpr std::size_t align4(std::size_t length) noexcept { return (length + 3) & ~std::size_t{3}; }

// One datagram of answers; returns true when the exchange is complete.
bool handle_datagram(std::span<const std::byte> datagram, std::uint32_t sequence, bool dump,
                     int& error,
                     const std::function<void(const nlmsghdr&, std::span<const std::byte>)>& on_message) {
  std::size_t offset = 0;
  while (offset + sizeof(nlmsghdr) <= datagram.size()) {
    nlmsghdr header;
    std::memcpy(&header, datagram.data() + offset, sizeof header);
    if (header.nlmsg_len < sizeof header || offset + header.nlmsg_len > datagram.size()) return true;
    const auto body = datagram.subspan(offset + sizeof header, header.nlmsg_len - sizeof header);
    offset += align4(header.nlmsg_len);
    if (header.nlmsg_seq != sequence) continue;
    if (header.nlmsg_type == NLMSG_DONE) return true;
    if (header.nlmsg_type == NLMSG_ERROR) {
      nlmsgerr answer{};
      if (body.size() >= sizeof answer) std::memcpy(&answer, body.data(), sizeof answer);
      error = -answer.error;
      return true;
    }
    on_message(header, body);
    if (!dump) return true;
  }
  return false;
}

}  // namespace

int netlink_exchange(std::span<std::byte> request,
                     const std::function<void(const nlmsghdr&, std::span<const std::byte>)>& on_message) {
  const Fd socket_fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!socket_fd.valid()) {
    throw RuntimeError(std::string("cannot open a netlink socket: ") + std::strerror(errno));
  }
  nlmsghdr header;
  std::memcpy(&header, request.data(), sizeof header);
  constexpr std::uint32_t kSequence = 0x53594e;  // any value: answers echo it
  header.nlmsg_seq = kSequence;
  std::memcpy(request.data(), &header, sizeof header);
  const bool dump = (header.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(socket_fd.get(), request.data(), request.size(), 0,
               reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) < 0) {
    throw RuntimeError(std::string("netlink request failed: ") + std::strerror(errno));
  }
  std::array<std::byte, 32768> buffer;
  int error = 0;
  for (;;) {
    const ssize_t received = ::recv(socket_fd.get(), buffer.data(), buffer.size(), 0);
    if (received < 0 && errno == EINTR) continue;
    if (received <= 0) {
      throw RuntimeError(std::string("netlink answer failed: ") + std::strerror(errno));
    }
    if (handle_datagram(std::span(buffer).first(static_cast<std::size_t>(received)), kSequence,
                        dump, error, on_message)) {
      return error;
    }
  }
}

void for_each_attribute(std::span<const std::byte> attributes,
                        const std::function<void(const NetlinkAttribute&)>& on_attribute) {
  std::size_t offset = 0;
  while (offset + sizeof(nlattr) <= attributes.size()) {
    nlattr attribute;
    std::memcpy(&attribute, attributes.data() + offset, sizeof attribute);
    if (attribute.nla_len < sizeof attribute || offset + attribute.nla_len > attributes.size()) {
      return;
    }
    on_attribute({static_cast<unsigned short>(attribute.nla_type & NLA_TYPE_MASK),
                  attributes.subspan(offset + sizeof attribute, attribute.nla_len - sizeof attribute)});
    offset += align4(attribute.nla_len);
  }
}

}  // namespace synscan::scanner
