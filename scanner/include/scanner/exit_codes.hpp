#pragma once
/// The exit codes of every synscan command, scans and subcommands alike (README "Exit codes").
/// One meaning per code: a script can tell "I typed it wrong" from "it could not run" from
/// "the scans differ" whatever the command was.
namespace synscan::scanner {

/// The scan finished; the subcommand did its work; `diff` found the scans equal.
inline constexpr int kExitSuccess = 0;
/// The command line is wrong: unknown option, bad value (target, port, address, number), missing
/// argument, an option file (-iL, --excludefile, --services-file, --resume) that cannot be read or
/// parsed. One line names what to change. Thrown as UsageError.
inline constexpr int kExitUsage = 1;
/// The run failed: no privileges, no route or interface, capture or send failure, an output that
/// cannot be written, a saved scan that cannot be read. One line says what failed.
inline constexpr int kExitRuntime = 2;
/// `synscan diff` only: the two scans differ (the changes are on stdout).
inline constexpr int kExitDifferent = 3;
/// The scan was interrupted (SIGINT/SIGTERM); the outputs are complete files holding every result
/// found so far (128 + SIGINT, as shells report it).
inline constexpr int kExitInterrupted = 130;

/// The table as --help (summaries) and the man page (docgen, meanings) print it; README's
/// "Exit codes" lists the same codes (checked by tests/scanner/exit_codes_test.cpp).
struct ExitCodeDoc {
  int code;
  const char* summary;  ///< "usage error"
  const char* meaning;  ///< the man page's sentence
};
inline constexpr ExitCodeDoc kExitCodeTable[] = {
    {kExitSuccess, "success",
     "success: the scan finished, the subcommand did its work, diff found the scans equal"},
    {kExitUsage, "usage error",
     "usage error: unknown option, bad value (target, port, address, number), missing argument, an "
     "option's file (-iL, --excludefile, --services-file, --resume) that cannot be read or parsed; "
     "the line names what to change"},
    {kExitRuntime, "runtime error",
     "runtime error: no privileges, no route or interface, capture or send failure, an output that "
     "cannot be written, a saved scan (diff, report, convert, merge input) that cannot be read"},
    {kExitDifferent, "diff found changes",
     "synscan diff only: the scans differ (the changes are on stdout)"},
    {kExitInterrupted, "interrupted",
     "interrupted: the outputs are still complete, well-formed files holding every result found"},
};

}  // namespace synscan::scanner
