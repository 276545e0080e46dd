#include "nmap_aliases.hpp"

#include <string_view>

#include "scanner/errors.hpp"
#include "scanner/options.hpp"

namespace synscan::scanner {
namespace {

// The option whose nmap form `argument` spells, from the one option table; null when none.
const OptionSpec* find_nmap_form(std::string_view argument, AliasScope scope) {
  for (const OptionSpec& option : option_table()) {
    if (option.nmap_form.empty() || !argument.starts_with(option.nmap_form)) continue;
    if (scope == AliasScope::kSubcommand && option.group != OptionGroup::kOutput) continue;
    // A flag ("-sS") only alone; a value may be attached ("-oXscan.xml").
    if (option.kind == OptionKind::kFlag && argument.size() != option.nmap_form.size()) continue;
    return &option;
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
    const OptionSpec* option = find_nmap_form(argument, scope);
    if (option == nullptr) {
      result.push_back(argument);
      continue;
    }
    const std::string long_form = "--" + std::string(option->name);
    if (option->kind == OptionKind::kFlag) {
      result.push_back(long_form);
    } else if (argument.size() > option->nmap_form.size()) {  // -oXscan.xml
      result.push_back(long_form + "=" + argument.substr(option->nmap_form.size()));
    } else if (i + 1 < arguments.size()) {  // -oX scan.xml
      result.push_back(long_form + "=" + arguments[++i]);
    } else {
      throw UsageError(argument + " needs " +
                       (option->value_name.empty() ? "a value" : std::string(option->value_name)));
    }
  }
  return result;
}

}  // namespace synscan::scanner
