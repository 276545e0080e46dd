#include "engine/resume_state.hpp"

#include <spdlog/spdlog.h>

#include "scanner/errors.hpp"

namespace synscan::scanner::engine {

void ResumeRecorder::save(const ScanOrder& order, bool complete) {
  if (!file_.valid()) return;
  state_.settle(plan_.resume.get(), order.group_count(), complete);
  state_.hosts_per_group = order.hosts_per_group();
  state_.fingerprint = plan_fingerprint(plan_, order.hosts_per_group());
  try {
    file_.save(format_resume_file(plan_, state_));
    if (!complete) spdlog::warn("resume with: synscan --resume {} -oA NEW-BASE", file_.path());
  } catch (const RuntimeError& error) {
    spdlog::error("{}", error.what());
  }
}

}  // namespace synscan::scanner::engine
