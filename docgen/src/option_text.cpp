// present_option and groff_escape (docgen.hpp): the help-text convention read in one place.
#include <algorithm>
#include <cctype>

#include "docgen/docgen.hpp"

namespace synscan::docgen {
namespace {

bool is_alias(std::string_view word) {
  return word.size() >= 2 && word.size() <= 4 && word[0] == '-' &&
         std::all_of(word.begin() + 1, word.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

bool is_value_name(std::string_view word) {
  if (word.empty()) return false;
  const bool has_slash = word.find('/') != std::string_view::npos;
  const bool upper = std::all_of(word.begin(), word.end(), [](char c) {
    return std::isupper(static_cast<unsigned char>(c)) || c == '_';
  });
  const bool plain = std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_';
  });
  return plain && (upper || has_slash);
}

bool mentions_word(std::string_view text, std::string_view word) {
  for (std::size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    const bool starts = at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
    const std::size_t end = at + word.size();
    const bool ends = end == text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
    if (starts && ends) return true;
  }
  return false;
}

std::string upper_last_word(const std::string& long_name) {
  std::string word = long_name.substr(long_name.rfind('-') + 1);
  for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return word;
}

}  // namespace

OptionEntry present_option(const scanner::OptionDoc& option) {
  OptionEntry entry;
  if (!option.short_name.empty()) entry.spellings.push_back("-" + option.short_name);
  entry.spellings.push_back("--" + option.long_name);
  entry.text = option.help;

  const std::size_t colon = option.help.find(": ");
  const std::string prefix = colon == std::string::npos ? "" : option.help.substr(0, colon);
  const std::size_t space = prefix.find(' ');
  std::string alias, value;
  if (space == std::string::npos) {
    if (is_alias(prefix)) alias = prefix;
    else if (is_value_name(prefix)) value = prefix;
  } else if (is_alias(prefix.substr(0, space)) && is_value_name(prefix.substr(space + 1))) {
    alias = prefix.substr(0, space);
    value = prefix.substr(space + 1);
  }
  if (!alias.empty() || !value.empty()) entry.text = option.help.substr(colon + 2);
  if (!alias.empty() && std::find(entry.spellings.begin(), entry.spellings.end(), alias) == entry.spellings.end()) {
    entry.spellings.push_back(alias);
  }
  if (option.takes_value) {
    if (!option.value_name.empty()) value = option.value_name;  // the table's own placeholder
    if (value.empty()) value = mentions_word(option.help, "FILE") ? "FILE" : upper_last_word(option.long_name);
    entry.value_name = value;
  }
  return entry;
}

std::string groff_escape(std::string_view text) {
  std::string escaped;
  if (!text.empty() && (text.front() == '.' || text.front() == '\'')) escaped += "\\&";
  for (const char c : text) {
    if (c == '\\') escaped += "\\e";
    else if (c == '-') escaped += "\\-";
    else escaped += c;
  }
  return escaped;
}

}  // namespace synscan::docgen
