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

/// The table as the man page (docgen) prints it; README's "Exit codes" lists the same codes.
struct ExitCodeDoc {
  int code;
  const char* meaning;
};
inline constexpr ExitCodeDoc kExitCodeTable[] = {
    {kExitSuccess,
     "success: the scan finished, the subcommand did its work, diff found the scans equal"},
    {kExitUsage,
     "usage error: unknown option, bad value (target, port, address, number), missing argument, an "
     "option's file (-iL, --excludefile, --services-file, --resume) that cannot be read or parsed; "
     "the line names what to change"},
    {kExitRuntime,
     "runtime error: no privileges, no route or interface, capture or send failure, an output that "
     "cannot be written, a saved scan (diff, report, convert, merge input) that cannot be read"},
    {kExitDifferent, "synscan diff only: the scans differ (the changes are on stdout)"},
    {kExitInterrupted,
     "interrupted: the outputs are still complete, well-formed files holding every result found"},
};

}  // namespace synscan::scanner
