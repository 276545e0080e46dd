// output_targets(): the one place nmap's output options become a list of outputs.
#include "output/writers.hpp"

namespace synscan::output {

std::vector<OutputTarget> output_targets(const std::vector<std::string>& xml,
                                         const std::vector<std::string>& greppable,
                                         const std::vector<std::string>& json,
                                         const std::vector<std::string>& all) {
  std::vector<OutputTarget> targets;
  const auto add = [&targets](Format format, const std::vector<std::string>& paths) {
    for (const std::string& path : paths) {
      if (!path.empty()) targets.push_back({format, path});
    }
  };
  add(Format::kXml, xml);
  add(Format::kGreppable, greppable);
  add(Format::kJsonLines, json);
  for (const std::string& base : all) {
    if (base.empty()) continue;
    for (const FormatInfo& info : kFormats) targets.push_back({info.format, base + info.extension});
  }
  return targets;
}

}  // namespace synscan::output
