#pragma once
/// The man page synscan(1) and the bash completion, generated at build time from the data --help
/// prints (scanner::describe_command_line, scanner::describe_tools), so neither can drift from it.
#include <string>
#include <string_view>
#include <vector>

#include "scanner/cli.hpp"

namespace synscan::docgen {

/// An option as the man page and the completion present it.
struct OptionEntry {
  std::vector<std::string> spellings;  ///< "-p", "--ports", and an nmap alias such as "-oX"
  std::string value_name;              ///< "PORTS", "FILE", "i/n"; empty for switches
  std::string text;                    ///< --help's text without its "-oX FILE: " prefix
};

/// The value name is the option's own placeholder (OptionDoc::value_name, as --help prints it).
/// The help text's convention is read too: it may start with "ALIAS: ", "VALUE: " or
/// "ALIAS VALUE: " (an nmap alias is a dash and 1-3 letters, a value name is upper case or has a
/// '/'), which the page shows as a spelling and leaves out of the text. Without any placeholder an
/// option taking a value is named by "FILE" if its text mentions FILE, else by the last word of
/// its long name ("--max-rtt-timeout TIMEOUT").
[[nodiscard]] OptionEntry present_option(const scanner::OptionDoc& option);

/// Text for one groff line: backslashes, hyphens (as \-, so commands copy-paste) and a leading
/// control character are escaped.
[[nodiscard]] std::string groff_escape(std::string_view text);

/// synscan(1) in groff -man: synopsis, options by group, subcommands, port states and reasons,
/// exit status, files, examples, safety notes.
[[nodiscard]] std::string man_page(const scanner::CommandLineDoc& command_line,
                                   const std::vector<scanner::ToolDoc>& tools, std::string_view version);

/// A bash completion script defining _synscan: options (with nmap aliases), subcommands and their
/// options, file names after options that take files, interfaces after -e, users after --user.
[[nodiscard]] std::string bash_completion(const scanner::CommandLineDoc& command_line,
                                          const std::vector<scanner::ToolDoc>& tools);

}  // namespace synscan::docgen
