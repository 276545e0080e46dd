#include "net/port_ranges.hpp"

#include <algorithm>
#include <vector>

namespace synscan::net {

std::string format_port_ranges(std::span<const std::uint16_t> ports) {
  std::vector<std::uint16_t> sorted(ports.begin(), ports.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string text;
  for (std::size_t first = 0; first < sorted.size();) {
    std::size_t last = first;  // last index of the run of consecutive ports starting at first
    while (last + 1 < sorted.size() && sorted[last + 1] == sorted[last] + 1) ++last;
    if (!text.empty()) text += ',';
    text += std::to_string(sorted[first]);
    if (last > first) text += '-' + std::to_string(sorted[last]);
    first = last + 1;
  }
  return text;
}

}  // namespace synscan::net
