// Probe templates: write() output compared byte for byte with frames assembled independently in
// test_frames.hpp, for ordinary and edge values, and every checksum recomputed.
#include "packet/probe_template.hpp"

#include <gtest/gtest.h>

#include <random>
#include <tuple>

#include "packet/checksum.hpp"
#include "packet/reply.hpp"
#include "test_frames.hpp"

namespace synscan::packet {
namespace {

using test::Bytes;

constexpr std::uint32_t kScannerIp = 0xC0A80A05;  // 192.168.10.5

FrameAddressing addressing() {
  FrameAddressing result;
  result.source_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  result.destination_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
  result.source_ip = kScannerIp;
  result.ttl = 57;
  result.ip_id = 0xBEEF;
  return result;
}

// The SYN a correct template must produce, assembled field by field.
Bytes expected_syn(std::uint32_t destination_ip, std::uint16_t source_port,
                   std::uint16_t destination_port, std::uint32_t sequence,
                   const TcpSynOptions& options) {
  const test::TcpFields tcp{.source_port = source_port,
                            .destination_port = destination_port,
                            .sequence = sequence,
                            .acknowledgment = 0,
                            .flags = tcp_flags::kSyn,
                            .window = options.window,
                            .options = {std::byte{2}, std::byte{4}, std::byte(options.mss >> 8),
                                        std::byte(options.mss & 0xFF)}};
  const Bytes segment = test::tcp_segment(kScannerIp, destination_ip, tcp);
  return test::frame_of({.source = kScannerIp,
                         .destination = destination_ip,
                         .protocol = 6,
                         .ttl = 57,
                         .identification = 0xBEEF},
                        segment);
}

Bytes expected_udp(std::uint32_t destination_ip, std::uint16_t source_port,
                   std::uint16_t destination_port, std::span<const std::byte> payload) {
  const Bytes datagram =
      test::udp_datagram(kScannerIp, destination_ip, source_port, destination_port, payload);
  return test::frame_of({.source = kScannerIp,
                         .destination = destination_ip,
                         .protocol = 17,
                         .ttl = 57,
                         .identification = 0xBEEF},
                        datagram);
}

// Every checksum in a frame, recomputed from scratch by the test's reference routine.
void expect_checksums_valid(std::span<const std::byte> frame) {
  const auto ip = frame.subspan(kIpv4Offset);
  EXPECT_EQ(test::reference_checksum(ip.first(20)), 0) << "IPv4 header checksum";
  const std::uint32_t source =
      static_cast<std::uint32_t>(test::get16(ip, 12)) << 16 | test::get16(ip, 14);
  const std::uint32_t destination =
      static_cast<std::uint32_t>(test::get16(ip, 16)) << 16 | test::get16(ip, 18);
  const unsigned protocol = std::to_integer<unsigned>(ip[9]);
  const auto l4 = ip.subspan(20, test::get16(ip, 2) - 20);
  EXPECT_EQ(test::reference_checksum(
                l4, test::pseudo_header_sum(source, destination, protocol, l4.size())),
            0)
      << "L4 checksum";
  if (protocol == 17) {
    EXPECT_NE(test::get16(l4, 6), 0u) << "UDP checksum 0 must be sent as FFFF";
  }
  EXPECT_TRUE(ipv4_checksums_valid(ip));
}

using SynCase = std::tuple<std::uint32_t, std::uint16_t, std::uint16_t, std::uint32_t>;

const SynCase kSynCases[] = {
    {0x0A000001, 40000, 80, 0x12345678},
    {0x00000000, 0, 0, 0},
    {0xFFFFFFFF, 0xFFFF, 0xFFFF, 0xFFFFFFFF},  // 255.255.255.255, all-ones fields
    {0xFFFFFFFF, 0, 0, 0},
    {0x00000000, 0xFFFF, 0xFFFF, 0xFFFFFFFF},
    {0x7F000001, 1, 65535, 1},
    {0xC0A80A05, 40000, 443, 0x80000000},  // the scanner's own address
    {0x01020304, 0x8000, 0x0001, 0xFFFF0000},
};

TEST(TcpSynTemplate, TemplateFrameIsTheDocumentedSyn) {
  const TcpSynOptions options{.window = 1024, .mss = 1460};
  const TcpSynTemplate syn(addressing(), options);
  ASSERT_EQ(syn.size(), 58u);
  const Bytes expected = expected_syn(0, 0, 0, 0, options);
  EXPECT_EQ(Bytes(syn.frame().begin(), syn.frame().end()), expected);
}

TEST(TcpSynTemplate, GoldenBytes) {
  for (const TcpSynOptions options :
       {TcpSynOptions{.window = 1024, .mss = 1460}, TcpSynOptions{.window = 0xFFFF, .mss = 0},
        TcpSynOptions{.window = 0, .mss = 0xFFFF}}) {
    const TcpSynTemplate syn(addressing(), options);
    for (const auto& [destination, source_port, destination_port, sequence] : kSynCases) {
      Bytes out(syn.size(), std::byte{0xAA});
      syn.write(out.data(), destination, source_port, destination_port, sequence);
      EXPECT_EQ(out, expected_syn(destination, source_port, destination_port, sequence, options))
          << std::hex << destination << " " << source_port << " " << destination_port << " "
          << sequence;
      expect_checksums_valid(out);
    }
  }
}

TEST(TcpSynTemplate, RandomWritesMatchIndependentFrames) {
  const TcpSynOptions options{};
  const TcpSynTemplate syn(addressing(), options);
  std::mt19937_64 random(58);
  Bytes out(syn.size());
  for (int round = 0; round < 5000; ++round) {
    const auto destination = static_cast<std::uint32_t>(random());
    const auto source_port = static_cast<std::uint16_t>(random());
    const auto destination_port = static_cast<std::uint16_t>(random());
    const auto sequence = static_cast<std::uint32_t>(random());
    syn.write(out.data(), destination, source_port, destination_port, sequence);
    ASSERT_EQ(out, expected_syn(destination, source_port, destination_port, sequence, options));
  }
}

TEST(TcpSynTemplate, WrittenFrameParsesBack) {
  const TcpSynTemplate syn(addressing(), TcpSynOptions{});
  Bytes out(syn.size());
  syn.write(out.data(), 0x0A0B0C0D, 41234, 22, 0xCAFEBABE);
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(out, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.source_ip, kScannerIp);
  EXPECT_EQ(reply.destination_ip, 0x0A0B0C0Du);
  EXPECT_EQ(reply.ttl, 57);
  EXPECT_EQ(reply.protocol, kProtocolTcp);
  EXPECT_EQ(reply.source_port, 41234);
  EXPECT_EQ(reply.destination_port, 22);
  EXPECT_EQ(reply.tcp_sequence, 0xCAFEBABEu);
  EXPECT_EQ(reply.tcp_acknowledgment, 0u);
  EXPECT_EQ(reply.tcp_flags, tcp_flags::kSyn);
}

TEST(UdpTemplate, GoldenBytes) {
  const Bytes payloads[] = {
      {},
      {std::byte{0x01}},
      {std::byte{0xde}, std::byte{0xad}, std::byte{0xbe}, std::byte{0xef}, std::byte{0x00}}};
  for (const Bytes& payload : payloads) {
    const UdpTemplate udp(addressing(), payload);
    ASSERT_EQ(udp.size(), 42 + payload.size());
    EXPECT_EQ(Bytes(udp.frame().begin() + static_cast<std::ptrdiff_t>(udp.payload_offset()),
                    udp.frame().end()),
              payload);
    EXPECT_EQ(Bytes(udp.frame().begin(), udp.frame().end()), expected_udp(0, 0, 0, payload));
    for (const auto& [destination, source_port, destination_port, unused] : kSynCases) {
      Bytes out(udp.size(), std::byte{0x55});
      udp.write(out.data(), destination, source_port, destination_port);
      EXPECT_EQ(out, expected_udp(destination, source_port, destination_port, payload))
          << std::hex << destination << " " << source_port << " " << destination_port;
      expect_checksums_valid(out);
    }
  }
}

// The payload is chosen so that the UDP checksum computes to zero for one destination: the frame
// must carry 0xFFFF there (RFC 768), and the incremental update must get there and away from it.
TEST(UdpTemplate, ComputedZeroChecksumIsSentAsAllOnes) {
  const std::uint32_t destination = 0x0A000001;
  const std::uint16_t source_port = 40000, destination_port = 53;
  Bytes payload = {std::byte{0}, std::byte{0}};
  const Bytes without = expected_udp(destination, source_port, destination_port, payload);
  // Sum of everything the checksum covers, with the payload word still zero.
  const auto datagram = std::span<const std::byte>(without).subspan(kL4Offset);
  Bytes zeroed(datagram.begin(), datagram.end());
  test::set16(zeroed, 6, 0);
  const std::uint16_t rest =
      test::reference_checksum(zeroed, test::pseudo_header_sum(kScannerIp, destination, 17, 10));
  // A payload word equal to the complement of the rest makes the total sum -0: checksum 0.
  test::set16(payload, 0, rest);
  const UdpTemplate udp(addressing(), payload);
  Bytes out(udp.size());
  udp.write(out.data(), destination, source_port, destination_port);
  EXPECT_EQ(test::get16(out, kL4Offset + 6), 0xFFFFu);
  EXPECT_EQ(out, expected_udp(destination, source_port, destination_port, payload));
  expect_checksums_valid(out);
  udp.write(out.data(), destination + 1, source_port, destination_port);
  EXPECT_EQ(out, expected_udp(destination + 1, source_port, destination_port, payload));
}

TEST(UdpTemplate, TemplateWhoseOwnChecksumIsZero) {
  // Payload making the template frame itself (destination 0, ports 0) checksum to zero.
  Bytes payload = {std::byte{0}, std::byte{0}};
  Bytes datagram = test::udp_datagram(kScannerIp, 0, 0, 0, payload);
  test::set16(datagram, 6, 0);
  test::set16(payload, 0,
              test::reference_checksum(datagram, test::pseudo_header_sum(kScannerIp, 0, 17, 10)));
  const UdpTemplate udp(addressing(), payload);
  EXPECT_EQ(test::get16(udp.frame(), kL4Offset + 6), 0xFFFFu);
  std::mt19937_64 random(768);
  Bytes out(udp.size());
  for (int round = 0; round < 2000; ++round) {
    const auto destination = static_cast<std::uint32_t>(random());
    const auto source_port = static_cast<std::uint16_t>(random());
    const auto destination_port = static_cast<std::uint16_t>(random());
    udp.write(out.data(), destination, source_port, destination_port);
    ASSERT_EQ(out, expected_udp(destination, source_port, destination_port, payload));
  }
}

TEST(UdpTemplate, OversizedPayloadIsATemplateError) {
  const Bytes payload(65535, std::byte{0});
  EXPECT_THROW(UdpTemplate(addressing(), payload), TemplateError);
}

}  // namespace
}  // namespace synscan::packet
