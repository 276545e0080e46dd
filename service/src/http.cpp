// HTTP responses: status line, Server header, <title>.
#include <algorithm>
#include <cctype>

#include "service/identify.hpp"

namespace synscan::service {
namespace {

constexpr std::size_t kFieldChars = 200;

bool iequals_prefix(std::string_view text, std::string_view prefix) noexcept {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

// Case-insensitive search of a lower-case needle; npos when absent.
std::size_t ifind(std::string_view haystack, std::string_view needle,
                  std::size_t from = 0) noexcept {
  if (needle.empty() || haystack.size() < needle.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= haystack.size(); ++i) {
    if (iequals_prefix(haystack.substr(i), needle)) return i;
  }
  return std::string_view::npos;
}

int status_of(std::string_view status_line) noexcept {
  const std::size_t space = status_line.find(' ');
  if (space == std::string_view::npos || status_line.size() < space + 4) return 0;
  int status = 0;
  for (std::size_t i = space + 1; i < space + 4; ++i) {
    const char digit = status_line[i];
    if (digit < '0' || digit > '9') return 0;
    status = status * 10 + (digit - '0');
  }
  return status;
}

std::string title_of(std::string_view body) {
  const std::size_t open = ifind(body, "<title");
  if (open == std::string_view::npos) return {};
  const std::size_t start = body.find('>', open);
  if (start == std::string_view::npos) return {};
  std::size_t end = ifind(body, "</title", start + 1);
  if (end == std::string_view::npos) end = body.size();
  return clean_text(body.substr(start + 1, end - start - 1), kFieldChars);
}

}  // namespace

std::optional<output::HttpFacts> parse_http(std::string_view bytes) {
  if (bytes.substr(0, 5) != "HTTP/") return std::nullopt;
  output::HttpFacts http;
  std::size_t line_end = bytes.find('\n');
  http.status = status_of(bytes.substr(0, line_end));
  std::size_t header_end = bytes.find("\r\n\r\n");
  std::size_t body_start = header_end == std::string_view::npos ? bytes.size() : header_end + 4;
  if (header_end == std::string_view::npos) {
    header_end = bytes.find("\n\n");
    body_start = header_end == std::string_view::npos ? bytes.size() : header_end + 2;
  }
  const std::string_view headers = bytes.substr(0, std::min(body_start, bytes.size()));
  std::size_t at = line_end == std::string_view::npos ? headers.size() : line_end + 1;
  while (at < headers.size()) {
    std::size_t next = headers.find('\n', at);
    if (next == std::string_view::npos) next = headers.size();
    const std::string_view line = headers.substr(at, next - at);
    if (iequals_prefix(line, "server:")) http.server = clean_text(line.substr(7), kFieldChars);
    at = next + 1;
  }
  http.title = title_of(bytes.substr(std::min(body_start, bytes.size())));
  return http;
}

}  // namespace synscan::service
