#pragma once
// The resume file on disk: where it goes, and replacing it without a window in which a crash
// leaves neither the old state nor the new one.
#include <string>

#include "fd.hpp"
#include "scanner/scan_plan.hpp"

namespace synscan::scanner {

class ResumeFile {
 public:
  ResumeFile() = default;

  /// Where an interrupted scan's state goes: --resume-file if given; else beside the first output
  /// file (OUTPUT.resume) when that output is a regular file; else ./synscan.resume in the current
  /// directory (said on stderr when progress lines are on). Only stdout outputs and no
  /// --resume-file: "" (no file). Pure: creates nothing.
  static std::string choose_path(const ScanPlan& plan, std::string* reason = nullptr);

  /// Creates the file at choose_path(plan) now, while the process may still write there (a root
  /// scan drops to nobody before its first probe). Not valid() (with a warning) when it cannot.
  static ResumeFile open(const ScanPlan& plan);

  [[nodiscard]] bool valid() const noexcept { return !path_.empty(); }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  /// Replaces the file's contents with `text`: written to PATH.tmp, fsync'd, renamed over PATH,
  /// directory fsync'd, so a crash leaves the old file or the new one. When the directory cannot
  /// be written any more (root dropped to an unprivileged user), PATH is rewritten in place
  /// through the handle open() kept: a crash during that write leaves a file the reader refuses
  /// (checksum), never one it misreads. Throws RuntimeError when neither works.
  void save(const std::string& text);

 private:
  ResumeFile(std::string path, Fd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  bool save_by_rename(const std::string& text);
  void save_in_place(const std::string& text);

  std::string path_;
  Fd fd_;  ///< PATH, opened before the privilege drop
};

}  // namespace synscan::scanner
