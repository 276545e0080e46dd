// Service-stage greeting parsers: the first two bytes pick the port (FTP/SMTP tie-breaks, Redis),
// the rest is what a server sent. Whatever the bytes, every field the writers print must be
// printable ASCII and bounded, and the escaped banner must respect its byte limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "service/identify.hpp"

namespace {

void require_printable(const std::string& text, std::size_t max) {
  if (text.size() > max) std::abort();
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto port = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  synscan::output::ServiceFacts facts;
  synscan::service::identify(port, bytes, facts);
  (void)synscan::service::answer_complete(bytes);
  require_printable(facts.name, 32);
  require_printable(facts.product, 200);
  require_printable(facts.version, 200);
  require_printable(facts.extrainfo, 400);
  require_printable(synscan::service::escape_bytes(bytes, 64), 64 * 4 + 3);
  return 0;
}
