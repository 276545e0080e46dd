// OutputFile: the one place that touches the file system for results.
//
// Files are opened with open(2) rather than fopen(3) so that O_NOFOLLOW refuses a symlink planted
// at the output path (synscan runs as root) and O_CLOEXEC keeps the descriptor out of children.
// Write errors surface either from fwrite or, with buffering, from fflush; both become one
// OutputError naming the path. After that first error the file is dead: later writes and flushes
// do nothing, so a writer's finish() on a broken pipe cannot throw a second time.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "output/writers.hpp"

namespace synscan::output {
namespace {

std::string display_name(const std::string& path) {
  return path == "-" ? std::string("standard output") : path;
}

[[noreturn]] void throw_errno(const char* verb, const std::string& path, int error) {
  throw OutputError(std::string("cannot ") + verb + " " + display_name(path) + ": " +
                    std::strerror(error));
}

}  // namespace

OutputFile::OutputFile(const std::string& path) : path_(path), file_(nullptr), owned_(false) {
  if (path == "-") {
    // Line buffered, so each record reaches a pipe reader (tail -f, grep) as soon as it is whole.
    // Must happen before anything is written to stdout; the CLI opens outputs before scanning.
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    file_ = stdout;
    return;
  }
  const int descriptor =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (descriptor < 0) throw_errno("open", path, errno);
  file_ = ::fdopen(descriptor, "w");
  if (file_ == nullptr) {
    const int error = errno;
    ::close(descriptor);
    throw_errno("open", path, error);
  }
  owned_ = true;
}

OutputFile::~OutputFile() {
  if (file_ == nullptr) return;
  // Destructors cannot report: every writer flushes each record, so nothing is left to lose here.
  if (owned_) {
    std::fclose(file_);
  } else {
    std::fflush(file_);
  }
}

void OutputFile::write(std::string_view text) {
  if (file_ == nullptr || text.empty()) return;
  errno = 0;
  // A line-buffered stream (stdout) flushes inside fwrite and may still report the full count
  // when that flush fails: the stream's error flag is the reliable signal.
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::ferror(file_)) {
    const int error = errno != 0 ? errno : EIO;
    std::clearerr(file_);
    if (owned_) std::fclose(file_);
    file_ = nullptr;
    throw_errno("write", path_, error);
  }
}

void OutputFile::flush() {
  if (file_ == nullptr) return;
  errno = 0;
  if (std::fflush(file_) != 0 || std::ferror(file_)) {
    const int error = errno != 0 ? errno : EIO;
    std::clearerr(file_);
    if (owned_) std::fclose(file_);
    file_ = nullptr;
    throw_errno("write", path_, error);
  }
}

}  // namespace synscan::output
