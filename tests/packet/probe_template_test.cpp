// Probe templates: write() output compared byte for byte with frames assembled independently in
// test_frames.hpp, for ordinary and edge values, and every checksum recomputed.
#include "packet/probe_template.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <tuple>

#include "packet/checksum.hpp"
#include "packet/reply.hpp"
#include "test_frames.hpp"

// Counts global allocations while armed, to check that write() never allocates. The replacement
// serves the whole packet_unit_tests binary; it forwards to malloc/free and only counts while a
// test holds an AllocationCounter. Sanitizer builds keep their own allocator (replacing it there
// can clash with the runtime's definitions), and the test is skipped in them.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SYNSCAN_TEST_SANITIZER_ALLOCATOR 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SYNSCAN_TEST_SANITIZER_ALLOCATOR 1
#endif

namespace {
std::atomic<bool> count_allocations{false};
std::atomic<std::size_t> allocations_seen{0};
}  // namespace

#ifndef SYNSCAN_TEST_SANITIZER_ALLOCATOR
// Not inlined: GCC would otherwise see free() applied to what a new-expression returned and warn
// (-Wmismatched-new-delete), although both sides of the pair are these malloc/free forwarders.
[[gnu::noinline]] void* operator new(std::size_t size) {
  if (count_allocations.load(std::memory_order_relaxed)) {
    allocations_seen.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* memory) noexcept {
  std::free(memory);
}
[[gnu::noinline]] void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}
#endif

namespace synscan::packet {
namespace {

using test::Bytes;

// Arms the allocation counter for its lifetime.
class AllocationCounter {
 public:
  AllocationCounter() {
    allocations_seen.store(0);
    count_allocations.store(true);
  }
  ~AllocationCounter() { count_allocations.store(false); }
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;
  [[nodiscard]] std::size_t count() const { return allocations_seen.load(); }
};

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

// The cookie goes into the payload's echo field (big-endian low bytes) and the frame equals one
// assembled independently with those bytes in the payload: checksum included, for 2- and 4-byte
// fields at even and odd offsets, and a field ending on an odd payload's last byte.
TEST(UdpTemplate, CookieInTheEchoField) {
  std::mt19937_64 random(1624);
  for (const CookieEcho echo : {CookieEcho{0, 0, 2}, CookieEcho{3, 0, 2}, CookieEcho{4, 0, 4},
                                CookieEcho{5, 0, 4}, CookieEcho{7, 0, 2}}) {
    Bytes payload(9);
    for (auto& byte : payload) byte = static_cast<std::byte>(random());
    const UdpTemplate udp(addressing(), payload, echo);
    ASSERT_TRUE(udp.carries_cookie());
    Bytes out(udp.size());
    for (int round = 0; round < 200; ++round) {
      const auto destination = static_cast<std::uint32_t>(random());
      const auto source_port = static_cast<std::uint16_t>(random());
      const auto destination_port = static_cast<std::uint16_t>(random());
      const auto cookie = static_cast<std::uint32_t>(random());
      udp.write(out.data(), destination, source_port, destination_port, cookie);
      Bytes with_cookie = payload;
      for (unsigned i = 0; i < echo.width; ++i) {
        with_cookie[echo.request_offset + i] = static_cast<std::byte>(cookie >> (8 * (echo.width - 1 - i)));
      }
      ASSERT_EQ(out, expected_udp(destination, source_port, destination_port, with_cookie))
          << "offset " << echo.request_offset << " width " << unsigned{echo.width};
    }
  }
}

TEST(UdpTemplate, EchoFieldBeyondThePayloadWritesNoCookie) {
  const Bytes payload(4, std::byte{0x11});
  const UdpTemplate udp(addressing(), payload, CookieEcho{2, 0, 4});
  EXPECT_FALSE(udp.carries_cookie());
  Bytes out(udp.size());
  udp.write(out.data(), 0xC6120001, 40000, 53, 0xDEADBEEF);
  EXPECT_EQ(out, expected_udp(0xC6120001, 40000, 53, payload));
}

TEST(UdpTemplate, OversizedPayloadIsATemplateError) {
  const Bytes payload(65535, std::byte{0});
  EXPECT_THROW(UdpTemplate(addressing(), payload), TemplateError);
}

// Literal golden frames, every byte written out by hand. The checksum words were computed
// separately (a few lines of Python doing RFC 1071 by the book) and are checked here once more
// against the test's reference routine, so the expected bytes owe nothing to the library.
TEST(TcpSynTemplate, LiteralGoldenFrame) {
  const TcpSynTemplate syn(addressing(), TcpSynOptions{.window = 1024, .mss = 1460});
  const unsigned expected_octets[] = {
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // destination MAC
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // source MAC
      0x08, 0x00,                          // ethertype IPv4
      0x45, 0x00, 0x00, 0x2c,              // version 4, IHL 5, TOS 0, total length 44
      0xbe, 0xef, 0x00, 0x00,              // identification, flags 0, fragment offset 0
      0x39, 0x06, 0xee, 0x2e,              // TTL 57, protocol TCP, header checksum
      0xc0, 0xa8, 0x0a, 0x05,              // source 192.168.10.5
      0x0a, 0x00, 0x00, 0x01,              // destination 10.0.0.1
      0x9c, 0x40, 0x00, 0x50,              // source port 40000, destination port 80
      0x12, 0x34, 0x56, 0x78,              // sequence
      0x00, 0x00, 0x00, 0x00,              // acknowledgment
      0x60, 0x02, 0x04, 0x00,              // data offset 6, SYN, window 1024
      0xba, 0x3b, 0x00, 0x00,              // checksum, urgent pointer 0
      0x02, 0x04, 0x05, 0xb4,              // MSS option: kind 2, length 4, 1460
  };
  Bytes expected;
  for (const unsigned octet : expected_octets) test::append8(expected, octet);
  // The hand-written checksums agree with the reference routine.
  Bytes zeroed = expected;
  test::set16(zeroed, kIpv4Offset + 10, 0);
  EXPECT_EQ(test::reference_checksum(std::span(zeroed).subspan(kIpv4Offset, 20)), 0xee2e);
  test::set16(zeroed, kL4Offset + 16, 0);
  EXPECT_EQ(test::reference_checksum(std::span(zeroed).subspan(kL4Offset),
                                     test::pseudo_header_sum(kScannerIp, 0x0A000001, 6, 24)),
            0xba3b);

  Bytes out(syn.size());
  syn.write(out.data(), 0x0A000001, 40000, 80, 0x12345678);
  EXPECT_EQ(out, expected);
  expect_checksums_valid(out);
}

TEST(UdpTemplate, LiteralGoldenFrame) {
  const Bytes payload = {std::byte{0x01}, std::byte{0x02}, std::byte{0x03}};  // odd length
  const UdpTemplate udp(addressing(), payload);
  const unsigned expected_octets[] = {
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // destination MAC
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // source MAC
      0x08, 0x00,                          // ethertype IPv4
      0x45, 0x00, 0x00, 0x1f,              // version 4, IHL 5, TOS 0, total length 31
      0xbe, 0xef, 0x00, 0x00,              // identification, flags 0, fragment offset 0
      0x39, 0x11, 0xbc, 0x27,              // TTL 57, protocol UDP, header checksum
      0xc0, 0xa8, 0x0a, 0x05,              // source 192.168.10.5
      0xcb, 0x00, 0x71, 0x09,              // destination 203.0.113.9
      0x9f, 0x49, 0x00, 0x35,              // source port 40777, destination port 53
      0x00, 0x0b, 0x55, 0xa0,              // UDP length 11, checksum
      0x01, 0x02, 0x03,                    // payload
  };
  Bytes expected;
  for (const unsigned octet : expected_octets) test::append8(expected, octet);
  Bytes out(udp.size());
  udp.write(out.data(), 0xCB007109, 40777, 53);
  EXPECT_EQ(out, expected);
  expect_checksums_valid(out);
}

// Checksums of a written frame, recomputed from scratch by the test's reference routine and
// compared with what write() put there (0xFFFF for a UDP sum that computes to zero).
void expect_checksums_equal_recomputation(std::span<const std::byte> frame) {
  Bytes copy(frame.begin(), frame.end());
  const unsigned ip_checksum = test::get16(copy, kIpv4Offset + 10);
  test::set16(copy, kIpv4Offset + 10, 0);
  ASSERT_EQ(ip_checksum, test::reference_checksum(std::span(copy).subspan(kIpv4Offset, 20)));
  const unsigned protocol = std::to_integer<unsigned>(copy[kIpv4Offset + 9]);
  const std::size_t checksum_offset = kL4Offset + (protocol == 6 ? 16 : 6);
  const unsigned l4_checksum = test::get16(copy, checksum_offset);
  test::set16(copy, checksum_offset, 0);
  const auto l4 = std::span<const std::byte>(copy).subspan(kL4Offset);
  const std::uint32_t destination = static_cast<std::uint32_t>(test::get16(copy, kIpv4Offset + 16))
                                        << 16 |
                                    test::get16(copy, kIpv4Offset + 18);
  unsigned recomputed = test::reference_checksum(
      l4, test::pseudo_header_sum(kScannerIp, destination, protocol, l4.size()));
  if (protocol == 17 && recomputed == 0) recomputed = 0xFFFF;  // RFC 768
  ASSERT_EQ(l4_checksum, recomputed);
}

// A random field value, often an extreme: one's-complement corner cases live at 0 and all-ones.
template <typename Value>
Value random_field(std::mt19937_64& random) {
  switch (random() % 4) {
    case 0:
      return 0;
    case 1:
      return static_cast<Value>(~Value{0});
    default:
      return static_cast<Value>(random());
  }
}

// Property: for 100,000 random patches each, every incrementally updated checksum equals a full
// recomputation.
TEST(TcpSynTemplate, IncrementalChecksumsEqualRecomputationOver100kPatches) {
  std::mt19937_64 random(1624);
  const TcpSynTemplate syn(addressing(), TcpSynOptions{.window = 0xFFFF, .mss = 0});
  Bytes out(syn.size());
  for (int round = 0; round < 100'000; ++round) {
    syn.write(out.data(), random_field<std::uint32_t>(random), random_field<std::uint16_t>(random),
              random_field<std::uint16_t>(random), random_field<std::uint32_t>(random));
    expect_checksums_equal_recomputation(out);
    if (::testing::Test::HasFatalFailure()) FAIL() << "round " << round;
  }
}

// The same for UDP, with half of the patches drawn from a family that sums to the zero checksum:
// for one destination, every port pair with the same arithmetic sum gives the same one's-
// complement sum, and the payload word is chosen so that this sum makes the checksum compute to
// 0 (sent as 0xFFFF). So the corner is crossed tens of thousands of times, in both directions.
TEST(UdpTemplate, IncrementalChecksumsEqualRecomputationOver100kPatches) {
  const std::uint32_t zero_destination = 0x0A000001;
  const unsigned port_sum = 40000 + 53;
  Bytes payload = {std::byte{0}, std::byte{0}, std::byte{0x7F}};
  {
    Bytes datagram = test::udp_datagram(kScannerIp, zero_destination, 40000, 53, payload);
    test::set16(datagram, 6, 0);
    test::set16(payload, 0,
                test::reference_checksum(
                    datagram, test::pseudo_header_sum(kScannerIp, zero_destination, 17, 11)));
  }
  const UdpTemplate udp(addressing(), payload);
  std::mt19937_64 random(768);
  Bytes out(udp.size());
  int zero_checksums = 0;
  for (int round = 0; round < 100'000; ++round) {
    if (round % 2 == 0) {
      const auto source_port = static_cast<std::uint16_t>(random() % (port_sum + 1));
      udp.write(out.data(), zero_destination, source_port,
                static_cast<std::uint16_t>(port_sum - source_port));
    } else {
      udp.write(out.data(), random_field<std::uint32_t>(random),
                random_field<std::uint16_t>(random), random_field<std::uint16_t>(random));
    }
    zero_checksums += test::get16(out, kL4Offset + 6) == 0xFFFF;
    expect_checksums_equal_recomputation(out);
    if (::testing::Test::HasFatalFailure()) FAIL() << "round " << round;
  }
  EXPECT_GE(zero_checksums, 50'000);
}

// The contract in probe_template.hpp: write() never allocates (it runs once per probe).
TEST(ProbeTemplates, WriteDoesNotAllocate) {
#ifdef SYNSCAN_TEST_SANITIZER_ALLOCATOR
  GTEST_SKIP() << "allocation counting needs the replaced operator new (not in sanitizer builds)";
#endif
  const TcpSynTemplate syn(addressing(), TcpSynOptions{});
  const UdpTemplate udp(addressing(), Bytes(40, std::byte{0x33}));
  const Ipv6TcpSynTemplate syn6(addressing(), TcpSynOptions{});
  const Ipv6UdpTemplate udp6(addressing(), Bytes(40, std::byte{0x33}), CookieEcho{0, 0, 2});
  Bytes syn_out(syn6.size());
  Bytes udp_out(udp6.size());
  std::size_t allocations = 0;
  {
    const AllocationCounter counter;
    Ipv6Bytes destination6{};
    for (std::uint32_t index = 0; index < 1000; ++index) {
      syn.write(syn_out.data(), index * 2654435761u, static_cast<std::uint16_t>(index), 443, index);
      udp.write(udp_out.data(), index * 2654435761u, static_cast<std::uint16_t>(index), 53);
      destination6[15] = static_cast<std::byte>(index);
      syn6.write(syn_out.data(), destination6, static_cast<std::uint16_t>(index), 443, index);
      udp6.write(udp_out.data(), destination6, static_cast<std::uint16_t>(index), 53, index);
    }
    allocations = counter.count();
  }
  EXPECT_EQ(allocations, 0u);
  // The counter itself works: building a template allocates its frame.
  {
    const AllocationCounter counter;
    const TcpSynTemplate another(addressing(), TcpSynOptions{});
    allocations = counter.count();
  }
  EXPECT_GT(allocations, 0u);
}

}  // namespace
}  // namespace synscan::packet
