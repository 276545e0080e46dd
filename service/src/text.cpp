// Escaping and cleaning of server bytes: everything the stage keeps is printable ASCII.
#include <cstdio>

#include "service/identify.hpp"

namespace synscan::service {

std::string escape_bytes(std::string_view bytes, std::size_t max_bytes) {
  const bool cut = bytes.size() > max_bytes;
  if (cut) bytes = bytes.substr(0, max_bytes);
  std::string out;
  out.reserve(bytes.size() + 8);
  for (const char byte : bytes) {
    const auto value = static_cast<unsigned char>(byte);
    switch (byte) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (value >= 0x20 && value < 0x7f) {
          out += byte;
        } else {
          char hex[5];
          std::snprintf(hex, sizeof hex, "\\x%02x", value);
          out += hex;
        }
    }
  }
  if (cut) out += "...";
  return out;
}

std::string clean_text(std::string_view text, std::size_t max_chars) {
  std::string out;
  bool space = false;
  for (const char byte : text) {
    const auto value = static_cast<unsigned char>(byte);
    if (value == ' ' || value == '\t' || value == '\r' || value == '\n') {
      space = !out.empty();
      continue;
    }
    if (value < 0x20 || value >= 0x7f) continue;
    if (out.size() + (space ? 2 : 1) > max_chars) break;
    if (space) out += ' ';
    space = false;
    out += byte;
  }
  return out;
}

}  // namespace synscan::service
