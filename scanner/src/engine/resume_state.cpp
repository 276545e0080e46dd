#include "engine/resume_state.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "scanner/errors.hpp"

namespace synscan::scanner::engine {

ResumeRecorder::ResumeRecorder(const ScanPlan& plan) : plan_(plan) {
  std::string path = plan.resume_file;
  if (path.empty()) {
    for (const OutputRequest& request : plan.outputs) {
      if (request.path != "-") {
        path = request.path + ".resume";
        break;
      }
    }
  }
  if (path.empty()) return;  // only stdout outputs: nowhere sensible to leave a file unasked
  fd_ = Fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd_.valid()) {
    spdlog::warn("cannot create resume file {}: {}; an interrupted scan will not be resumable", path,
                 std::strerror(errno));
    return;
  }
  path_ = path;
}

void ResumeRecorder::save(const ScanOrder& order, bool complete) {
  if (!fd_.valid()) return;
  // Finished groups of the resumed-from run stay finished.
  if (plan_.resume) {
    state_.done_above.insert(state_.done_above.end(), plan_.resume->done_above.begin(),
                             plan_.resume->done_above.end());
    state_.done_below = plan_.resume->done_below;
  }
  std::sort(state_.done_above.begin(), state_.done_above.end());
  state_.done_above.erase(std::unique(state_.done_above.begin(), state_.done_above.end()),
                          state_.done_above.end());
  while (!state_.done_above.empty() && state_.done_above.front() == state_.done_below) {
    state_.done_above.erase(state_.done_above.begin());
    ++state_.done_below;
  }
  // A signal that arrived after the last group was written leaves nothing to resume.
  state_.complete = complete || (state_.in_flight.empty() && state_.done_below >= order.group_count());
  state_.hosts_per_group = order.hosts_per_group();
  state_.fingerprint = plan_fingerprint(plan_, order.hosts_per_group());
  try {
    write_resume_file(fd_.get(), path_, plan_, state_);
    if (!complete) spdlog::warn("resume with: synscan --resume {} -oA NEW-BASE", path_);
  } catch (const RuntimeError& error) {
    spdlog::error("{}", error.what());
  }
}

}  // namespace synscan::scanner::engine
