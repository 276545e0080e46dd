// Regressions found by payload_file_fuzzer in --udp-payloads parsing (the format's tests proper
// are in udp_payloads_test.cpp).
#include <gtest/gtest.h>

#include <string>

#include "packet/udp_payloads.hpp"

namespace synscan::packet {
namespace {

// "echo -2 2 2": the stream reads -2 into an unsigned as 4294967294, and request offset + width
// wrapped to 0 in 32 bits, so an echo field far outside a 4-byte payload was accepted (and stored
// truncated to 16 bits). It must be a PayloadFileError like any other echo beyond the payload.
TEST(UdpPayloadFile, EchoOffsetThatWrapsIsRejected) {
  for (const std::string line :
       {"5683 \"\\x40\\x01\\x00\\x00\" echo -2 2 2", "5683 \"\\x40\\x01\\x00\\x00\" echo -4 0 4",
        "5683 \"\\x40\\x01\\x00\\x00\" echo 4294967294 0 2"}) {
    UdpPayloadTable table = UdpPayloadTable::builtin();
    EXPECT_THROW(table.load_text(line, "test"), PayloadFileError) << line;
  }
  // The largest offsets that fit are still accepted.
  UdpPayloadTable table = UdpPayloadTable::builtin();
  table.load_text("5683 \"\\x40\\x01\\x00\\x00\" echo 2 1400 2", "test");
  EXPECT_EQ(table.for_port(5683).echo.request_offset, 2);
  EXPECT_EQ(table.for_port(5683).echo.reply_offset, 1400);
}

}  // namespace
}  // namespace synscan::packet
