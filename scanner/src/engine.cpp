// The scan's orchestration: setup, then the threads of the stages (docs/ARCHITECTURE.md):
//   transmit threads  Transmitter   engine/transmitter.hpp
//   receive thread    Receiver      engine/receiver.hpp
//   calling thread    Collector, Progress, ResumeRecorder (engine/collector.hpp, progress.hpp,
//                     resume_state.hpp)
// What they share is in engine/shared.hpp and engine/window.hpp; setup in engine/resources.hpp.
#include "engine.hpp"

#include <pthread.h>
#include <sys/prctl.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>

#include "engine/collector.hpp"
#include "engine/progress.hpp"
#include "engine/receiver.hpp"
#include "engine/resources.hpp"
#include "engine/resume_state.hpp"
#include "engine/shared.hpp"
#include "engine/transmitter.hpp"

namespace synscan::scanner {
namespace {

using namespace engine;

// Visible in top -H, perf and /proc/PID/task/*/comm (at most 15 characters).
void name_this_thread(const std::string& name) noexcept {
  (void)::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
}

std::vector<std::jthread> start_transmitters(const ScanPlan& plan, Resources& resources, Shared& shared,
                                             const std::atomic<int>& interrupts) {
  std::vector<std::jthread> threads;
  for (unsigned thread = 0; thread < resources.transmit_threads; ++thread) {
    threads.emplace_back([&, thread](std::stop_token stop) {
      name_this_thread("synscan-tx" + std::to_string(thread));
      // The pacer sleeps until ~100 us before a token is due and spins the rest; the default
      // 50 us timer slack would eat half of that margin.
      (void)::prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
      Transmitter(plan, resources, shared, thread, interrupts).run(stop);
    });
  }
  return threads;
}

// The calling thread's loop while the transmitters run: collect finished groups, stop the
// transmitters on an interruption or a failed output, print progress once a second.
void collect_until_sent(const ScanPlan& plan, Shared& shared, Collector& collector, Progress& progress,
                        std::vector<std::jthread>& transmitters, const std::atomic<int>& interrupts) {
  bool stop_requested = false;
  auto next_progress = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (;;) {
    bool sent = false;
    collector.collect(shared.done.take(std::chrono::milliseconds(100), sent));
    if ((interrupts.load() > 0 || collector.failed()) && !stop_requested) {
      stop_requested = true;
      for (std::jthread& thread : transmitters) thread.request_stop();
    }
    progress.report_limits();
    if (sent) break;
    progress.report_path();
    if (plan.progress && std::chrono::steady_clock::now() >= next_progress) {
      next_progress += std::chrono::seconds(1);
      progress.line();
    }
  }
}

ScanOutcome run(const ScanPlan& plan, std::vector<std::unique_ptr<output::ResultWriter>>& writers,
                const std::atomic<int>& interrupts, std::unique_ptr<InjectedLink> link) {
  ResumeRecorder resume(plan);  // first: the file is created before the privilege drop
  Resources resources(plan, std::move(link));
  const double rate_per_thread = plan.rate / resources.transmit_threads;
  // --fixed-rate: no send logs, so nothing feeds the detectors and nothing adapts.
  Shared shared(resources.transmit_threads, plan,
                plan.fixed_rate ? 0 : send_log_words(rate_per_thread, rate::batch_size_for_rate(rate_per_thread)));
  Collector collector(plan, resources, writers, resume);
  collector.begin();
  Progress progress(plan, resources.order, shared);
  if (plan.progress && !resources.send_path.empty()) Progress::announce(resources.send_path);
  {
    Receiver receiver(plan, resources, shared);
    std::jthread receive_thread([&](std::stop_token stop) {
      name_this_thread("synscan-rx");
      receiver.run(stop);
    });
    std::vector<std::jthread> transmitters = start_transmitters(plan, resources, shared, interrupts);
    collect_until_sent(plan, shared, collector, progress, transmitters, interrupts);
    for (std::jthread& thread : transmitters) thread.join();
    receive_thread.request_stop();
    resources.source->wake();
  }  // the receive thread is joined here
  collector.finish_services(interrupts, std::chrono::steady_clock::now());

  ScanOutcome outcome;
  outcome.interrupted = interrupts.load() > 0 || collector.failed();
  outcome.hosts_up = collector.totals().hosts_up;
  outcome.capture_drops = shared.receive.kernel_drops.load() + shared.receive.interface_drops.load();
  outcome.send_errors = shared.transmitted(&TransmitCounters::send_errors);
  outcome.replies_matched = shared.receive.results.load();
  outcome.replies_duplicate = shared.receive.duplicates.load();
  outcome.replies_late = shared.receive.late.load();
  outcome.replies_not_ours = shared.receive.not_ours.load() + shared.receive.not_a_target.load();

  output::ScanSummary summary;
  summary.end_time = std::time(nullptr);
  summary.elapsed_seconds = progress.elapsed_seconds();
  summary.hosts_total = plan.targets.size();
  summary.hosts_up = outcome.hosts_up;
  summary.interrupted = outcome.interrupted;
  collector.finish(summary);
  resume.save(resources.order, !outcome.interrupted);
  progress.final_lines(collector.totals());
  collector.rethrow_if_failed();
  return outcome;
}

}  // namespace

ScanOutcome run_scan(const ScanPlan& plan, std::vector<std::unique_ptr<output::ResultWriter>>& writers,
                     const std::atomic<int>& interrupts) {
  return run(plan, writers, interrupts, nullptr);
}

ScanOutcome run_scan(const ScanPlan& plan, std::vector<std::unique_ptr<output::ResultWriter>>& writers,
                     const std::atomic<int>& interrupts, std::unique_ptr<InjectedLink> link) {
  return run(plan, writers, interrupts, std::move(link));
}

}  // namespace synscan::scanner
