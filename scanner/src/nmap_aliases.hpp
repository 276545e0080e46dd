#pragma once
// nmap spells several options as one dash + two letters (-oX, -sS, -iL, -Pn), which
// Boost.Program_options cannot express: they are rewritten to long options before parsing. One
// table for the scan command line and the subcommands.
#include <string>
#include <vector>

namespace synscan::scanner {

/// Which aliases apply: a scan takes all of them, the subcommands (convert, merge) only the
/// output options (-oX, -oG, -oJ, -oA).
enum class AliasScope : unsigned char { kScan, kSubcommand };

/// Rewrites nmap's two-letter options to their long forms. An option that takes a value becomes
/// "--long=VALUE", from "-oXscan.xml" or "-oX scan.xml" (the '=' keeps a value such as "-", stdout,
/// from being taken for an option); one without a value ("-sS") only when it stands alone.
/// Everything else is passed through. Throws UsageError when a value is missing ("-oX" last).
std::vector<std::string> rewrite_nmap_aliases(const std::vector<std::string>& arguments,
                                              AliasScope scope);

}  // namespace synscan::scanner
