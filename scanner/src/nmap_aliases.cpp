#include "nmap_aliases.hpp"

#include <string_view>

#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

struct NmapAlias {
  std::string_view nmap_form;  // "-oX"
  std::string_view long_form;  // "--output-xml"
  bool takes_value;
  bool scan_only;  // not offered to the subcommands
};

constexpr NmapAlias kAliases[] = {
    {"-oX", "--output-xml", true, false},  {"-oG", "--output-grepable", true, false},
    {"-oJ", "--output-json", true, false}, {"-oA", "--output-all", true, false},
    {"-iL", "--input-list", true, true},   {"-sS", "--syn", false, true},
    {"-sU", "--udp", false, true},         {"-Pn", "--no-ping", false, true},
    {"-sn", "--ping-only", false, true},
};

const NmapAlias* find_alias(std::string_view argument, AliasScope scope) {
  for (const NmapAlias& alias : kAliases) {
    if (alias.scan_only && scope != AliasScope::kScan) continue;
    if (argument.substr(0, alias.nmap_form.size()) != alias.nmap_form) continue;
    if (!alias.takes_value && argument.size() != alias.nmap_form.size()) continue;
    return &alias;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> rewrite_nmap_aliases(const std::vector<std::string>& arguments,
                                              AliasScope scope) {
  std::vector<std::string> result;
  result.reserve(arguments.size());
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    const NmapAlias* alias = find_alias(argument, scope);
    if (alias == nullptr) {
      result.push_back(argument);
      continue;
    }
    std::string long_form(alias->long_form);
    if (!alias->takes_value) {
      result.push_back(std::move(long_form));
    } else if (argument.size() > alias->nmap_form.size()) {  // -oXscan.xml
      result.push_back(long_form + "=" + argument.substr(alias->nmap_form.size()));
    } else if (i + 1 < arguments.size()) {  // -oX scan.xml
      result.push_back(long_form + "=" + arguments[++i]);
    } else {
      throw UsageError(argument + " needs a " +
                       (alias->nmap_form == "-oA" ? "base name" : "file name"));
    }
  }
  return result;
}

}  // namespace synscan::scanner
