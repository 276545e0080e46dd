// libFuzzer target: resume files (--resume), which may be truncated by a crash or edited.
//
// read_resume_file takes a path, so each input is written to a file in /dev/shm (memory, one per
// fuzzing process) first. UsageError is the documented answer to malformed content; anything
// else escaping, a crash or a sanitizer report is a bug.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "scanner/errors.hpp"
#include "scanner/resume.hpp"
#include "scanner/scan_plan.hpp"

namespace {

using namespace synscan::scanner;

void check(bool condition) {
  if (!condition) std::abort();
}

const std::string& input_path() {
  static const std::string path = [] {
    std::string name = "/dev/shm/synscan-resume-fuzz-" + std::to_string(::getpid());
    std::atexit([] { ::unlink(input_path().c_str()); });
    return name;
  }();
  return path;
}

void write_input(const std::uint8_t* data, std::size_t size) {
  const int fd = ::open(input_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  check(fd >= 0);
  std::size_t written = 0;
  while (written < size) {
    const ssize_t count = ::write(fd, data + written, size - written);
    check(count > 0);
    written += static_cast<std::size_t>(count);
  }
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  write_input(data, size);
  ScanPlan plan;
  try {
    const ResumeState state = read_resume_file(input_path(), plan);
    // Accepted files describe a scan: the reader's own promises.
    check(!plan.targets.empty() && plan.ports.size() != 0);
    check(state.hosts_per_group != 0);
    (void)state.group_done(state.done_below);
    for (const auto& [group, entries] : state.in_flight) (void)state.saved_entries(group);
  } catch (const synscan::UsageError&) {
    // Expected for malformed content.
  }
  return 0;
}
