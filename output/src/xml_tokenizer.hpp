#pragma once
// The pull tokenizer under the XML reader (xml_reader.cpp): no dependency, no recursion, every
// error with its line. It checks what makes a document trustworthy (balanced tags, quoted
// attributes, known entities, one root, no DOCTYPE internal subset) and skips text, comments,
// processing instructions and CDATA.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scan_file_fields.hpp"

namespace synscan::output::detail {

// One tag as read: its name, its attributes with entities decoded, and the line it starts on.
struct XmlTag {
  enum class Kind : std::uint8_t { kStart, kEnd, kEmpty } kind = Kind::kStart;
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::size_t line = 0;

  [[nodiscard]] std::optional<std::string_view> attribute(std::string_view key) const {
    for (const auto& [attribute_name, value] : attributes) {
      if (attribute_name == key) return std::string_view(value);
    }
    return std::nullopt;
  }
  [[nodiscard]] std::string_view attribute_or(std::string_view key,
                                              std::string_view fallback) const {
    return attribute(key).value_or(fallback);
  }
};

// Pull tokenizer: next() returns the next start/end/empty-element tag, skipping text, comments,
// processing instructions, CDATA and the DOCTYPE; it keeps the element stack balanced.
class XmlTokenizer {
 public:
  XmlTokenizer(std::string_view text, const std::string& origin) : text_(text), origin_(origin) {}

  // The next tag; nullopt at the end of a complete document. Throws ScanFileError (file:line).
  std::optional<XmlTag> next();

  [[noreturn]] void fail(const std::string& why) const { Location(origin_, line_).fail(why); }

 private:
  bool starts_with(std::string_view prefix) const;
  void advance_to(std::size_t position);
  void skip_past(std::string_view terminator, const char* error);
  static bool is_name_char(char character);
  static bool is_space(char character);

  std::string name_at(std::size_t& position) const;
  std::string decoded(std::string_view raw) const;  // entities and character references
  void append_utf8(std::string& out, unsigned code) const;
  XmlTag tag();  // at '<' of a start, end or empty-element tag

  std::string_view text_;
  const std::string& origin_;
  std::size_t position_ = 0;
  std::size_t line_ = 1;
  std::vector<std::string> open_elements_;
  bool seen_root_ = false;
};

}  // namespace synscan::output::detail
