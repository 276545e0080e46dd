// HTTP responses from servers: status line, headers, <title>. Any bytes give a bounded,
// printable status/Server/title or no result.
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
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto http = synscan::service::parse_http(bytes);
  (void)synscan::service::answer_complete(bytes);
  if (!http) return 0;
  if (http->status < 0 || http->status > 999) std::abort();
  require_printable(http->server, 200);
  require_printable(http->title, 200);
  return 0;
}
