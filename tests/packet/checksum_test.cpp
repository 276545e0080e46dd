// Internet checksum: RFC 1071 known answers, and the RFC 1624 incremental update checked against a
// full recomputation over many random patches.
#include "packet/checksum.hpp"

#include <gtest/gtest.h>

#include <random>

#include "test_frames.hpp"

namespace synscan::packet {
namespace {

using test::Bytes;

Bytes bytes_of(std::initializer_list<unsigned> values) {
  Bytes bytes;
  test::append(bytes, values);
  return bytes;
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum (with end-around carry) to ddf2.
  const Bytes bytes = bytes_of({0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7});
  EXPECT_EQ(ones_complement_sum(bytes), 0xddf2u);
  EXPECT_EQ(internet_checksum(bytes), 0x220d);
}

TEST(Checksum, OddLengthIsPaddedWithZero) {
  const Bytes odd = bytes_of({0x00, 0x01, 0xf2, 0x03, 0xf4});
  const Bytes padded = bytes_of({0x00, 0x01, 0xf2, 0x03, 0xf4, 0x00});
  EXPECT_EQ(internet_checksum(odd), internet_checksum(padded));
  EXPECT_EQ(internet_checksum(odd), test::reference_checksum(odd));
}

TEST(Checksum, EmptyAndInitialValue) {
  EXPECT_EQ(ones_complement_sum({}), 0u);
  EXPECT_EQ(internet_checksum({}), 0xFFFF);
  // The initial value chains: summing in two parts equals summing at once.
  const Bytes whole = bytes_of({0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0});
  const std::span<const std::byte> view(whole);
  EXPECT_EQ(internet_checksum(view.subspan(4), ones_complement_sum(view.first(4))),
            internet_checksum(view));
}

TEST(Checksum, KnownIpv4Header) {
  // A classic example header (45 00 00 73 00 00 40 00 40 11 .... c0 a8 00 01 c0 a8 00 c7): b861.
  Bytes header = bytes_of({0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                           0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7});
  EXPECT_EQ(internet_checksum(header), 0xb861);
  test::set16(header, 10, 0xb861);
  EXPECT_EQ(ones_complement_sum(header), 0xFFFFu);  // a correct header sums to -0
}

TEST(Checksum, OddLengthKnownAnswers) {
  EXPECT_EQ(internet_checksum(bytes_of({0x01})), 0xFEFF);                 // word 0100
  EXPECT_EQ(internet_checksum(bytes_of({0x00, 0x01, 0xf2})), 0x0DFE);     // 0001 + f200
  EXPECT_EQ(ones_complement_sum(bytes_of({0xFF, 0xFF, 0xFF})), 0xFF00u);  // ffff + ff00, folded
  for (std::size_t length = 1; length < 64; length += 2) {
    Bytes bytes(length);
    for (std::size_t index = 0; index < length; ++index) bytes[index] = std::byte(0xA5 ^ index);
    EXPECT_EQ(internet_checksum(bytes), test::reference_checksum(bytes)) << length;
  }
}

// Chaining is exact at even split points (every word keeps its position); an odd first part
// would shift the byte lanes, which is why the pseudo-header (12 bytes) is chained in front.
TEST(Checksum, ChainingWithInitialAtEveryEvenSplit) {
  std::mt19937_64 random(793);
  for (int round = 0; round < 500; ++round) {
    Bytes bytes(random() % 120);
    for (std::byte& value : bytes) value = std::byte(random() & 0xFF);
    const std::span<const std::byte> view(bytes);
    const auto initial = static_cast<std::uint32_t>(random() & 0xFFFFFF);
    for (std::size_t split = 0; split <= bytes.size(); split += 2) {
      const std::uint32_t first = ones_complement_sum(view.first(split), initial);
      ASSERT_EQ(internet_checksum(view.subspan(split), first),
                test::reference_checksum(bytes, initial))
          << "split " << split;
    }
  }
  // A large initial value (a caller's unfolded sum) is folded with its carries.
  EXPECT_EQ(ones_complement_sum({}, 0xFFFFFFFF), 0xFFFFu);
  EXPECT_EQ(ones_complement_sum({}, 0x0001FFFE), 0xFFFFu);
  EXPECT_EQ(internet_checksum(bytes_of({0x00, 0x01}), 0x00010000), 0xFFFD);
}

// RFC 1624 section 4: HC = DD2F, m = 5555 -> m' = 3285 gives HC' = 0000 by eqn. 3 (eqn. 2 of
// RFC 1141 would give the wrong FFFF).
TEST(Checksum, Rfc1624Example) {
  EXPECT_EQ(checksum_update16(0xDD2F, 0x5555, 0x3285), 0x0000);
  EXPECT_EQ(checksum_update32(0xDD2F, 0x00005555, 0x00003285), 0x0000);
  EXPECT_EQ(checksum_update32(0xDD2F, 0x55550000, 0x32850000), 0x0000);
  // No change, no effect.
  EXPECT_EQ(checksum_update16(0x1234, 0xABCD, 0xABCD), 0x1234);
  EXPECT_EQ(checksum_update32(0x1234, 0xDEADBEEF, 0xDEADBEEF), 0x1234);
}

TEST(Checksum, MatchesReferenceOnRandomData) {
  std::mt19937_64 random(1071);
  for (int round = 0; round < 2000; ++round) {
    Bytes bytes(random() % 200);
    for (std::byte& value : bytes) value = std::byte(random() & 0xFF);
    ASSERT_EQ(internet_checksum(bytes), test::reference_checksum(bytes)) << bytes.size();
  }
}

TEST(Checksum, AllOnesData) {
  const Bytes bytes(64, std::byte{0xFF});
  EXPECT_EQ(internet_checksum(bytes), test::reference_checksum(bytes));
  EXPECT_EQ(internet_checksum(bytes), 0x0000);
}

// Property: after any patch of a 16- or 32-bit field, the incremental update equals a full
// recomputation. The first word stays non-zero (as an IPv4 header's version byte does): for data
// that is entirely zero, +0 and -0 are both correct and the two methods may pick different ones.
TEST(Checksum, IncrementalUpdateEqualsFullRecompute) {
  std::mt19937_64 random(1624);
  for (int round = 0; round < 20000; ++round) {
    Bytes bytes(2 * (4 + random() % 30));
    for (std::byte& value : bytes) value = std::byte(random() & 0xFF);
    bytes[0] = std::byte{0x45};
    // Bias some words to the extremes where one's-complement corner cases live.
    for (std::size_t offset = 2; offset < bytes.size(); offset += 2) {
      const auto choice = random() % 8;
      if (choice == 0) test::set16(bytes, offset, 0);
      if (choice == 1) test::set16(bytes, offset, 0xFFFF);
    }
    std::uint16_t checksum = internet_checksum(bytes);
    for (int patch = 0; patch < 4; ++patch) {
      const std::size_t words = bytes.size() / 2;
      const std::size_t word = 1 + random() % (words - 2);
      const std::size_t offset = word * 2;
      const auto pick = [&]() -> std::uint16_t {
        switch (random() % 4) {
          case 0:
            return 0;
          case 1:
            return 0xFFFF;
          default:
            return static_cast<std::uint16_t>(random());
        }
      };
      if (random() % 2 == 0) {
        const auto old_word = static_cast<std::uint16_t>(test::get16(bytes, offset));
        const std::uint16_t new_word = pick();
        test::set16(bytes, offset, new_word);
        checksum = checksum_update16(checksum, old_word, new_word);
      } else {
        const std::uint32_t old_value =
            std::uint32_t{static_cast<std::uint16_t>(test::get16(bytes, offset))} << 16 |
            test::get16(bytes, offset + 2);
        const std::uint32_t new_value = std::uint32_t{pick()} << 16 | pick();
        test::set16(bytes, offset, new_value >> 16);
        test::set16(bytes, offset + 2, new_value & 0xFFFF);
        checksum = checksum_update32(checksum, old_value, new_value);
      }
      ASSERT_EQ(checksum, internet_checksum(bytes)) << "round " << round << " patch " << patch;
    }
  }
}

TEST(Checksum, Ipv4ChecksumsValid) {
  const test::Ipv4Fields ip{.source = 0xC0A80001, .destination = 0x0A000002, .protocol = 6};
  const Bytes tcp = test::tcp_segment(ip.source, ip.destination,
                                      {.source_port = 80,
                                       .destination_port = 40000,
                                       .sequence = 1,
                                       .acknowledgment = 2,
                                       .flags = 0x12});
  Bytes packet = test::ipv4_header(ip, tcp.size());
  test::append(packet, tcp);
  EXPECT_TRUE(ipv4_checksums_valid(packet));

  Bytes broken_l4 = packet;
  broken_l4[30] ^= std::byte{0x01};  // inside the TCP header
  EXPECT_FALSE(ipv4_checksums_valid(broken_l4));
  Bytes broken_header = packet;
  broken_header[8] ^= std::byte{0x01};  // TTL
  EXPECT_FALSE(ipv4_checksums_valid(broken_header));
  EXPECT_FALSE(ipv4_checksums_valid(std::span<const std::byte>(packet).first(30)));

  test::Ipv4Fields udp_ip = ip;
  udp_ip.protocol = 17;
  const Bytes payload = bytes_of({1, 2, 3});
  const Bytes udp = test::udp_datagram(ip.source, ip.destination, 53, 40000, payload);
  Bytes udp_packet = test::ipv4_header(udp_ip, udp.size());
  test::append(udp_packet, udp);
  EXPECT_TRUE(ipv4_checksums_valid(udp_packet));
  test::set16(udp_packet, 26, 0);  // RFC 768: checksum 0 = none sent
  EXPECT_TRUE(ipv4_checksums_valid(udp_packet));

  test::Ipv4Fields icmp_ip = ip;
  icmp_ip.protocol = 1;
  const Bytes icmp = test::icmp_error(3, 3, packet);
  Bytes icmp_packet = test::ipv4_header(icmp_ip, icmp.size());
  test::append(icmp_packet, icmp);
  EXPECT_TRUE(ipv4_checksums_valid(icmp_packet));
  icmp_packet[22] ^= std::byte{0x10};
  EXPECT_FALSE(ipv4_checksums_valid(icmp_packet));
}

}  // namespace
}  // namespace synscan::packet
