// libFuzzer target: --udp-payloads files, which the user writes by hand.
//
// Any text is loaded over the built-in table. PayloadFileError is the documented answer to a
// malformed entry. A table that loads must keep its contract: every echo field lies inside its
// request, and writing and checking cookies stays within the buffers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "packet/udp_payloads.hpp"

namespace {

using namespace synscan::packet;

void check(bool condition) {
  if (!condition) std::abort();
}

void check_table(const UdpPayloadTable& table) {
  for (const UdpPayload& payload : table.payloads()) {
    const CookieEcho& echo = payload.echo;
    check(echo.width == 0 || echo.width == 2 || echo.width == 4);
    if (echo.width != 0) {
      check(std::size_t{echo.request_offset} + echo.width <= payload.bytes.size());
    }
    // Exactly sized copies: a write or read past the end is an AddressSanitizer report.
    std::vector<std::byte> request(payload.bytes);
    UdpPayloadTable::write_cookie(payload, request, 0xA1B2C3D4);
    const std::vector<std::byte> reply(std::size_t{echo.reply_offset} + echo.width, std::byte{0});
    (void)UdpPayloadTable::check_echo(payload, reply, 0xA1B2C3D4);
    (void)UdpPayloadTable::check_echo(payload, {}, 0xA1B2C3D4);
  }
  for (std::uint32_t port = 0; port < 65536; port += 251) {
    check(table.index_for_port(static_cast<std::uint16_t>(port)) < table.payloads().size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Building the built-in table parses its text: done once. Each input loads over a fresh copy,
  // assigned into one long-lived table so its 65536-entry port index reuses the same memory
  // (a new 256 KiB allocation per input would cost more than the parse being fuzzed).
  static const UdpPayloadTable builtin = UdpPayloadTable::builtin();
  static UdpPayloadTable table = builtin;
  table = builtin;
  const std::string text(data, data + size);
  try {
    table.load_text(text, "fuzz");
  } catch (const PayloadFileError&) {
    return 0;  // expected for malformed entries
  }
  check_table(table);
  return 0;
}
