// XmlTokenizer (xml_tokenizer.hpp).
#include "xml_tokenizer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace synscan::output::detail {

std::optional<XmlTag> XmlTokenizer::next() {
  while (true) {
    const std::size_t open = text_.find('<', position_);
    advance_to(open == std::string_view::npos ? text_.size() : open);
    if (open == std::string_view::npos) {
      if (!open_elements_.empty()) fail("unterminated <" + open_elements_.back() + ">");
      if (!seen_root_) fail("no XML elements");
      return std::nullopt;
    }
    if (starts_with("<!--")) {
      skip_past("-->", "unterminated comment");
    } else if (starts_with("<?")) {
      skip_past("?>", "unterminated processing instruction");
    } else if (starts_with("<![CDATA[")) {
      skip_past("]]>", "unterminated CDATA section");
    } else if (starts_with("<!")) {
      // <!DOCTYPE nmaprun>; an internal subset ([...]) would allow entity tricks: refuse it.
      const std::size_t close = text_.find('>', position_);
      if (close == std::string_view::npos) fail("unterminated declaration");
      if (text_.substr(position_, close - position_).find('[') != std::string_view::npos) {
        fail("DOCTYPE internal subsets are not supported");
      }
      advance_to(close + 1);
    } else {
      return tag();
    }
  }
}

bool XmlTokenizer::starts_with(std::string_view prefix) const {
  return text_.substr(position_, prefix.size()) == prefix;
}

void XmlTokenizer::advance_to(std::size_t position) {
  line_ += static_cast<std::size_t>(
      std::count(text_.begin() + static_cast<std::ptrdiff_t>(position_),
                 text_.begin() + static_cast<std::ptrdiff_t>(position), '\n'));
  position_ = position;
}

void XmlTokenizer::skip_past(std::string_view terminator, const char* error) {
  const std::size_t end = text_.find(terminator, position_);
  if (end == std::string_view::npos) fail(error);
  advance_to(end + terminator.size());
}

bool XmlTokenizer::is_name_char(char character) {
  return std::isalnum(static_cast<unsigned char>(character)) != 0 ||
         std::strchr("_-.:", character) != nullptr;
}

bool XmlTokenizer::is_space(char character) {
  return character != '\0' && std::strchr(" \t\r\n", character) != nullptr;
}

std::string XmlTokenizer::name_at(std::size_t& position) const {
  const std::size_t start = position;
  while (position < text_.size() && is_name_char(text_[position])) ++position;
  if (position == start) fail("malformed tag");
  return std::string(text_.substr(start, position - start));
}

std::string XmlTokenizer::decoded(std::string_view raw) const {
  std::string value;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      value += raw[i];
      continue;
    }
    const std::size_t semicolon = raw.find(';', i);
    if (semicolon == std::string_view::npos || semicolon - i > 10) fail("bad entity reference");
    const std::string_view entity = raw.substr(i + 1, semicolon - i - 1);
    static constexpr std::pair<std::string_view, char> kNamed[] = {
        {"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
    bool known = false;
    for (const auto& [name, character] : kNamed) {
      if (entity == name) {
        value += character;
        known = true;
      }
    }
    if (!known && entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      const std::string_view digits = entity.substr(hex ? 2 : 1);
      unsigned code = 0;
      const auto [stop, error] =
          std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
      if (digits.empty() || error != std::errc() || stop != digits.data() + digits.size()) {
        fail("bad character reference '&" + std::string(entity) + ";'");
      }
      append_utf8(value, code);
      known = true;
    }
    if (!known) fail("unknown entity '&" + std::string(entity) + ";'");
    i = semicolon;
  }
  return value;
}

void XmlTokenizer::append_utf8(std::string& out, unsigned code) const {
  if (code == 0 || code > 0x10FFFF) fail("bad character reference");
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

XmlTag XmlTokenizer::tag() {
  XmlTag tag;
  tag.line = line_;
  std::size_t position = position_ + 1;
  if (position < text_.size() && text_[position] == '/') {
    tag.kind = XmlTag::Kind::kEnd;
    ++position;
  }
  tag.name = name_at(position);
  while (true) {
    while (position < text_.size() && is_space(text_[position])) ++position;
    if (position >= text_.size()) fail("unterminated <" + tag.name + ">");
    if (text_[position] == '>') {
      ++position;
      break;
    }
    if (text_[position] == '/' && tag.kind == XmlTag::Kind::kStart && position + 1 < text_.size() &&
        text_[position + 1] == '>') {
      tag.kind = XmlTag::Kind::kEmpty;
      position += 2;
      break;
    }
    if (tag.kind == XmlTag::Kind::kEnd) fail("malformed </" + tag.name + ">");
    std::string key = name_at(position);
    while (position < text_.size() && is_space(text_[position])) ++position;
    if (position >= text_.size() || text_[position] != '=') {
      fail("attribute '" + key + "' of <" + tag.name + "> has no value");
    }
    ++position;
    while (position < text_.size() && is_space(text_[position])) ++position;
    if (position >= text_.size() || (text_[position] != '"' && text_[position] != '\'')) {
      fail("attribute '" + key + "' of <" + tag.name + "> is not quoted");
    }
    const char quote = text_[position];
    const std::size_t close = text_.find(quote, position + 1);
    if (close == std::string_view::npos) fail("unterminated attribute '" + key + "'");
    const std::string_view raw = text_.substr(position + 1, close - position - 1);
    if (raw.find('<') != std::string_view::npos) fail("'<' in attribute '" + key + "'");
    tag.attributes.emplace_back(std::move(key), decoded(raw));
    position = close + 1;
  }
  advance_to(position);

  switch (tag.kind) {
    case XmlTag::Kind::kStart:
    case XmlTag::Kind::kEmpty:
      if (open_elements_.empty() && seen_root_) fail("more than one root element");
      seen_root_ = true;
      if (tag.kind == XmlTag::Kind::kStart) open_elements_.push_back(tag.name);
      break;
    case XmlTag::Kind::kEnd:
      if (open_elements_.empty() || open_elements_.back() != tag.name) {
        fail(
            "</" + tag.name + "> does not close " +
            (open_elements_.empty() ? std::string("anything") : "<" + open_elements_.back() + ">"));
      }
      open_elements_.pop_back();
      break;
  }
  return tag;
}

}  // namespace synscan::output::detail
