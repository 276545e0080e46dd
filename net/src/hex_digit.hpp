#pragma once
/// One hexadecimal digit's value, shared by the address parsers of this library (private header).
namespace synscan::net::detail {

/// 0-15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for any other character.
[[nodiscard]] constexpr int hex_value(char character) noexcept {
  if (character >= '0' && character <= '9') return character - '0';
  if (character >= 'a' && character <= 'f') return character - 'a' + 10;
  if (character >= 'A' && character <= 'F') return character - 'A' + 10;
  return -1;
}

}  // namespace synscan::net::detail
