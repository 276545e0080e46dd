#include "engine/transmitter.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstring>
#include <ctime>
#include <iterator>
#include <limits>
#include <optional>
#include <thread>

#include "engine/source_range.hpp"
#include "scanner/resume.hpp"

namespace synscan::scanner::engine {
namespace {

std::uint64_t entries_in_shard(const ScanOrder& order, std::uint64_t group) noexcept {
  const std::uint64_t entries = order.entries_in_group(group);
  const std::uint64_t offset = order.shard().index - 1, stride = order.shard().count;
  return entries > offset ? (entries - offset + stride - 1) / stride : 0;
}

// Per-host pacing (transmitter.hpp).
constexpr std::size_t kMinPacedPending = 4;   // fewer unanswered probes cannot show a limit
constexpr double kProbeRate = 4.0;            // sends/s until the host's answer rate is known
constexpr rate::Nanoseconds kProbeDelay = std::chrono::milliseconds(1200);
constexpr double kPaceShare = 0.98;           // of the answer rate: every paced probe answered
constexpr rate::Nanoseconds kMinIdle = std::chrono::milliseconds(2500);
constexpr rate::Nanoseconds kPacedLook = std::chrono::milliseconds(50);
constexpr rate::Nanoseconds kFirstAnswerWait = std::chrono::milliseconds(600);

rate::Nanoseconds interval_of(double per_second) noexcept {
  return std::chrono::duration_cast<rate::Nanoseconds>(std::chrono::duration<double>(1.0 / per_second));
}

// Without a new answer for this long, a paced host is not limited (or no longer answers). Before
// its first new answer the limit is short: a limiter has refilled during kProbeDelay and answers
// the first probes at once; a firewall's silence (the common case of a host with a few closed and
// many filtered ports) then costs only a few probes and no time beyond the group's final wait.
rate::Nanoseconds idle_limit(double per_second, bool answered) noexcept {
  return answered ? std::max(kMinIdle, 4 * interval_of(per_second)) : kFirstAnswerWait;
}

// The host's own error answers: what a limiter holds back.
bool own_error(output::Reason reason) noexcept {
  return reason == output::Reason::kReset || reason == output::Reason::kPortUnreach;
}

}  // namespace

Transmitter::Transmitter(const ScanPlan& plan, Resources& resources, Shared& shared,
                         unsigned thread_index, const std::atomic<int>& interrupts)
    : plan_(plan),
      resources_(resources),
      shared_(shared),
      interrupts_(interrupts),
      thread_count_(resources.transmit_threads),
      counters_(shared.transmit[thread_index]),
      sender_(*resources.senders[thread_index]),
      group_count_(resources.order.group_count()),
      max_entries_per_group_(resources.order.max_entries_per_group()),
      probes_per_host_(resources.probes.probes_per_host()),
      final_wait_(std::chrono::duration_cast<Nanoseconds>(std::chrono::duration<double>(plan.wait_seconds))),
      next_group_(thread_index),
      sending_(active_.end()),
      board_(shared.pace_board),
      pacer_(plan.rate / thread_count_, rate::batch_size_for_rate(plan.rate / thread_count_)),
      paced_rate_(plan.rate),
      frame_memory_(std::size_t{rate::batch_size_for_rate(plan.rate / thread_count_)} * kMaxFrame),
      batch_(rate::batch_size_for_rate(plan.rate / thread_count_)),
      batch_targets_(batch_.size()),
      send_log_(shared.send_logs.empty() ? nullptr : shared.send_logs[thread_index].get()) {
  // A group holds at most max(64 Ki, probes per host) entries (scan_order.cpp): fill_batch splits
  // an entry into host and probe in 32 bits.
  assert(max_entries_per_group_ <= std::numeric_limits<std::uint32_t>::max());
}

bool Transmitter::ActiveGroup::next_entry(const ScanWindow& window, std::uint64_t& entry) noexcept {
  if (ahead_count <= kLookahead - kWalkChunk) {
    std::array<std::uint64_t, kWalkChunk> upcoming;
    const std::size_t walked = walk.next_many(upcoming);
    for (std::size_t i = 0; i < walked; ++i) {
      window.prefetch(at, static_cast<std::size_t>(upcoming[i]));
      ahead[(ahead_head + ahead_count) % kLookahead] = upcoming[i];
      ++ahead_count;
    }
  }
  if (ahead_count == 0) return false;
  entry = ahead[ahead_head];
  ahead_head = (ahead_head + 1) % kLookahead;
  --ahead_count;
  return true;
}

// Group g lives in its slot of the window (where the receiver finds it); the collector must have
// written out and released the slot's previous group first.
bool Transmitter::open_group() {
  const ScanOrder& order = resources_.order;
  // A resumed scan skips the groups the interrupted run already wrote out.
  while (plan_.resume && next_group_ < group_count_ && plan_.resume->group_done(next_group_)) {
    counters_.first_pass_probes.fetch_add(entries_in_shard(order, next_group_), std::memory_order_relaxed);
    next_group_ += thread_count_;
  }
  if (next_group_ >= group_count_) return false;
  const GroupSlot at = resources_.window.locate(next_group_);
  if (!resources_.window.open(at, std::time(nullptr))) return false;
  const SavedGroup* saved = plan_.resume ? plan_.resume->saved_entries(next_group_) : nullptr;
  if (saved) restore_group(at, *saved);
  std::vector<std::uint32_t> addresses;
  if (!spare_addresses_.empty()) {  // reuse a finished group's buffer: no allocation per group
    addresses = std::move(spare_addresses_.back());
    spare_addresses_.pop_back();
  }
  const std::uint32_t hosts = order.hosts_in_group(next_group_);
  addresses.resize(hosts);
  for (std::uint32_t host = 0; host < hosts; ++host) {
    addresses[host] = plan_.targets.at(order.host_index(next_group_, host));
  }
  active_.push_back({at, ScanOrder::GroupWalk(order, next_group_), 0, Phase::kSending, {},
                     entries_in_shard(order, next_group_), saved != nullptr, std::move(addresses),
                     {}, 0, 0});
  active_.back().opened_ns = rate::monotonic_now();
  next_group_ += thread_count_;
  return true;
}

void Transmitter::restore_group(GroupSlot at, const SavedGroup& saved) {
  const ScanOrder& order = resources_.order;
  const std::size_t entries = std::min<std::size_t>(saved.size(), order.entries_in_group(at.group));
  for (std::size_t entry = 0; entry < entries; ++entry) {
    resources_.window.restore(at, entry, saved[entry], order.in_shard(at.group, entry));
  }
}

// Hands over finished groups, starts the next pass of groups whose retry timeout passed; returns
// the earliest deadline of a waiting group (at most 5 ms ahead).
Transmitter::Nanoseconds Transmitter::advance_groups(Nanoseconds now) {
  Nanoseconds earliest = now + std::chrono::milliseconds(5);
  for (auto it = active_.begin(); it != active_.end();) {
    const bool all_answered = resources_.window.answered(it->at) >= it->shard_entries;
    if (it->phase != Phase::kSending && it->paced_hosts == 0 &&
        (all_answered || (it->phase == Phase::kFinalWait && now >= it->deadline)) &&
        (all_answered || !reprobe_after_loss(*it, now))) {
      hand_over(*it, false);
      spare_addresses_.push_back(std::move(it->addresses));
      it = active_.erase(it);
      continue;
    }
    if (it->phase == Phase::kWaiting && now >= it->deadline) {
      it->phase = Phase::kSending;
      ++it->pass;
      it->walk.rewind();
    }
    if (it->phase != Phase::kSending) earliest = std::min(earliest, it->deadline);
    ++it;
  }
  return earliest;
}

// The group now sending, or a newly opened one, or end().
Transmitter::Groups::iterator Transmitter::find_sending() {
  auto sending = std::find_if(active_.begin(), active_.end(),
                              [](const ActiveGroup& group) { return group.phase == Phase::kSending; });
  if (sending == active_.end() && open_group()) sending = std::prev(active_.end());
  return sending;
}

void Transmitter::run(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    follow_path_rate();
    const Nanoseconds now = rate::monotonic_now();
    Nanoseconds earliest = now + std::chrono::milliseconds(5);
    if (!paced_.empty()) {  // first: a paced host that ends releases its group's hand-over
      if (advance_paced(now, earliest)) send_paced(stop, now);
    }
    earliest = std::min(earliest, advance_groups(now));
    sending_ = find_sending();
    if (sending_ == active_.end()) {
      if (active_.empty() && next_group_ >= group_count_) break;
      std::this_thread::sleep_for(std::min<Nanoseconds>(earliest - now, std::chrono::milliseconds(5)));
      continue;
    }
    const std::uint32_t budget = pacer_.next_batch(stop);
    if (budget == 0) break;
    send_batch(budget);
  }
  if (!active_.empty()) finish_interrupted();
  shared_.done.transmitter_finished();
}

void Transmitter::send_batch(std::uint32_t budget) {
  BatchCounts counts;
  // The batch's send time, for RTT samples and the SendLog.
  const Nanoseconds now = rate::monotonic_now();
  const std::uint32_t filled = fill_batch(budget, now, counts);
  if (filled < budget) pacer_.give_back(budget - filled);
  // Counted locally and published once per batch: a locked add per probe cost more than the
  // counter is worth (the progress line reads it a few times a second).
  if (counts.first_pass) counters_.first_pass_probes.fetch_add(counts.first_pass, std::memory_order_relaxed);
  if (counts.retries) counters_.retry_probes.fetch_add(counts.retries, std::memory_order_relaxed);
  if (counts.first_pass) counters_.first_tries.fetch_add(counts.first_pass, std::memory_order_relaxed);
  if (counts.reprobes) counters_.reprobes.fetch_add(counts.reprobes, std::memory_order_relaxed);
  if (filled == 0) return;
  log_sends(now, filled);
}

// Sends batch_[0, count), logs it for the answer detectors, publishes the send counters.
void Transmitter::log_sends(Nanoseconds now, std::uint32_t count) noexcept {
  sender_.send(std::span<const FrameRef>(batch_.data(), count), send_counters_);
  if (send_log_) (void)send_log_->append(now, std::span<const std::uint32_t>(batch_targets_.data(), count));
  counters_.frames_sent.store(send_counters_.frames_sent, std::memory_order_relaxed);
  counters_.frame_bytes.store(send_counters_.bytes_sent, std::memory_order_relaxed);
  counters_.send_retries.store(send_counters_.retries, std::memory_order_relaxed);
  counters_.send_errors.store(send_counters_.errors, std::memory_order_relaxed);
}

// The hot loop: up to `budget` frames of the sending groups, packed into frame_memory_.
std::uint32_t Transmitter::fill_batch(std::uint32_t budget, Nanoseconds now, BatchCounts& counts) {
  const ScanWindow& window = resources_.window;
  std::byte* const memory = frame_memory_.data();
  std::size_t offset = 0;
  std::uint32_t filled = 0;
  while (filled < budget && sending_ != active_.end()) {
    ActiveGroup& group = *sending_;
    std::uint64_t entry;
    if (!group.next_entry(window, entry)) {
      end_pass(group);
      sending_ = find_sending();
      continue;
    }
    if (!claim(group, entry, now, counts)) continue;
    std::byte* out = memory + offset;  // room for kMaxFrame: see below
    // One 32-bit division for both halves (entries of a group fit 32 bits: see the constructor).
    const auto local = static_cast<std::uint32_t>(entry);
    const std::uint32_t host = local / probes_per_host_, probe = local - host * probes_per_host_;
    const std::uint32_t target = group.addresses[host];
    const std::uint32_t size = build(target, probe, out);
    if (size == 0) {  // unreachable on-link host: final without a send
      resources_.window.finalize_unsent(group.at, entry);
      continue;
    }
    batch_[filled] = {out, size};
    batch_targets_[filled] = target;
    ++filled;
    // Each frame takes at most kMaxFrame, so max_batch frames always fit the buffer.
    offset += (static_cast<std::size_t>(size) + 63) & ~std::size_t{63};
  }
  return filled;
}

// Counts a send of `entry` unless it needs none (final already, or out of tries on resume).
bool Transmitter::claim(ActiveGroup& group, std::uint64_t entry, Nanoseconds now, BatchCounts& counts) {
  ScanWindow& window = resources_.window;
  // Restored probes may have used tries in the interrupted run: the budget spans both runs.
  if (group.restored && window.send_count(group.at, entry) > plan_.retries + group.extra_passes) return false;
  if (window.mark_sent(group.at, entry) != MarkSent::kMarked) return false;
  const std::uint64_t key = probe_key(group.at.group, entry, max_entries_per_group_);
  if (RttEstimator::wants_sample(key)) {
    if (group.pass == 0) {
      shared_.rtt.record_send(key, now);
    } else {
      shared_.rtt.forget(key);
    }
  }
  ++(group.pass == 0 ? counts.first_pass : counts.retries);
  if (group.pass > plan_.retries) ++counts.reprobes;
  return true;
}

// The frame of probe `probe` (entry % probes_per_host) to `target`; 0 when there is nothing to
// send (an on-link host that never answered ARP).
std::uint32_t Transmitter::build(std::uint32_t target, std::uint32_t probe,
                                 std::byte* out) const noexcept {
  bool reachable;
  const net::MacAddress* neighbour = resources_.neighbour_mac(target, reachable);
  if (!reachable) return 0;
  const std::uint32_t size = resources_.probes.write(probe, target, out);
  if (neighbour) std::memcpy(out + packet::kDestinationMacOffset, neighbour->data(), neighbour->size());
  return size;
}

// Pass over: time the next one from this pass's last send.
// After an extra pass (re-probing losses to the path) the final wait is shorter: the --wait for late
// replies was already spent once; the retry timeout covers the round trip, and half a second the
// path controller's verdict on the pass (a new loss gives the group another pass).
void Transmitter::end_pass(ActiveGroup& group) {
  const bool retry = group.pass < plan_.retries + group.extra_passes;
  group.phase = retry ? Phase::kWaiting : Phase::kFinalWait;
  const Nanoseconds now = rate::monotonic_now();
  Nanoseconds wait = retry ? shared_.rtt.timeout() : final_wait_;
  if (!retry && group.extra_passes > 0) {
    wait = std::min(wait, std::max<Nanoseconds>(shared_.rtt.timeout(), std::chrono::milliseconds(500)));
  }
  group.deadline = now + wait;
  if (!retry && !plan_.fixed_rate) start_pacing(group, now);
}

// A group whose time is up with probes unanswered gets one more pass when probes may have been lost
// to the path since it opened (the path controller's latest lossy window ended after the group's
// first send, and after the start of its previous extra pass), at most kMaxExtraPasses times. The pass
// starts a bin after the lossy one: by then the controller has lowered the rate, so the device
// has room again. Extra passes are not tries of --retries: --retries counts what the targets may
// lose, these what the path dropped.
bool Transmitter::reprobe_after_loss(ActiveGroup& group, Nanoseconds now) {
  const Nanoseconds lossy{shared_.path.lossy_until_ns.load(std::memory_order_relaxed)};
  if (lossy.count() == 0 || lossy < group.opened_ns || lossy <= group.covered_lossy_ns ||
      group.extra_passes >= kMaxExtraPasses) {
    return false;
  }
  ++group.extra_passes;
  group.phase = Phase::kWaiting;
  group.deadline = std::max(now, lossy + std::chrono::milliseconds(250));
  group.covered_lossy_ns = group.deadline;  // a loss ending after this may have hit the new pass
  return true;
}

// The path controller's rate (all threads), applied once per batch when it changed.
void Transmitter::follow_path_rate() {
  const double wanted = shared_.path.rate.load(std::memory_order_relaxed);
  if (wanted <= 0.0 || wanted == paced_rate_) return;
  pacer_.set_rate(wanted / thread_count_);
  paced_rate_ = wanted;
}

// The group's last pass is over: its hosts that answered some probes with their own errors but
// left kMinPacedPending or more unanswered get their pending probes re-sent on their own clock.
void Transmitter::start_pacing(ActiveGroup& group, Nanoseconds now) {
  const ScanWindow& window = resources_.window;
  const ScanOrder& order = resources_.order;
  const auto hosts = static_cast<std::uint32_t>(group.addresses.size());
  for (std::uint32_t local = 0; local < hosts; ++local) {
    const std::uint64_t first = std::uint64_t{local} * probes_per_host_;
    std::size_t errors = 0, pending = 0;
    for (std::uint64_t entry = first; entry < first + probes_per_host_; ++entry) {
      if (!order.in_shard(group.at.group, entry)) continue;
      const Entry state = window.load(group.at, entry);
      pending += state.final() ? 0 : 1;
      errors += state.final() && own_error(state.reason()) ? 1 : 0;
    }
    if (errors == 0 || pending < kMinPacedPending) continue;
    PacedHost host{group.at, group.addresses[local], {}, {}};
    for (std::uint64_t entry = first; entry < first + probes_per_host_; ++entry) {
      if (order.in_shard(group.at.group, entry) && !window.load(group.at, entry).final()) {
        host.entries.push_back(static_cast<std::uint32_t>(entry));
      }
    }
    host.tries.assign(host.entries.size(), 0);
    const std::optional<double> known = board_.rate_of(host.address);
    host.rate = known ? kPaceShare * *known : kProbeRate * plan_.source_count;
    host.limited = known.has_value();
    host.next_send = now + (known ? Nanoseconds{0} : kProbeDelay);
    host.last_progress = host.next_send;
    paced_.push_back(std::move(host));
    ++group.paced_hosts;
  }
}

// Ends the paced hosts that are done; true when one is due to send. Lowers `wake` to the next
// time one needs a look.
bool Transmitter::advance_paced(Nanoseconds now, Nanoseconds& wake) {
  bool due = false;
  for (std::size_t i = 0; i < paced_.size();) {
    PacedHost& host = paced_[i];
    // Looked at when due, and every kPacedLook meanwhile: a host whose last probe was answered
    // must not hold its group until its next send time.
    const bool look = now >= host.next_send || now >= host.last_look + kPacedLook;
    if (look) host.last_look = now;
    if (look && paced_host_done(host, now)) {
      end_paced_host(host);
      if (i + 1 != paced_.size()) host = std::move(paced_.back());
      paced_.pop_back();
      continue;
    }
    due = due || (now >= host.next_send && host.exhausted_at.count() == 0);
    wake = std::min({wake, host.next_send, host.last_look + kPacedLook});
    ++i;
  }
  return due;
}

// Looks at a due host's answers and its published rate; true when it needs no more sends.
bool Transmitter::paced_host_done(PacedHost& host, Nanoseconds now) {
  std::size_t finals = 0;
  for (const std::uint32_t entry : host.entries) finals += resources_.window.load(host.at, entry).final() ? 1 : 0;
  if (finals > host.finals) {
    host.finals = finals;
    host.last_progress = now;
    host.answered = true;
  }
  if (finals == host.entries.size()) return true;
  if (host.exhausted_at.count() != 0) return now - host.exhausted_at >= final_wait_;
  if (const std::optional<double> known = board_.rate_of(host.address)) {
    host.rate = kPaceShare * *known;
    // The first counted try waits a whole interval: the last probing send may just have taken
    // the limiter's token.
    if (!host.limited) host.next_send = now + interval_of(host.rate);
    host.limited = true;
  }
  return now - host.last_progress > idle_limit(host.rate, host.answered);
}

// The next pending entry of the host with paced tries left (round robin); false when none.
bool Transmitter::next_paced_entry(PacedHost& host, std::uint64_t& entry) {
  const std::uint8_t limit = static_cast<std::uint8_t>(std::min(plan_.retries + 1, 15u));
  for (std::size_t step = 0; step < host.entries.size(); ++step) {
    const std::size_t at = host.cursor;
    host.cursor = (host.cursor + 1) % host.entries.size();
    if (host.tries[at] >= limit || resources_.window.load(host.at, host.entries[at]).final()) continue;
    if (host.limited) ++host.tries[at];
    entry = host.entries[at];
    return true;
  }
  return false;
}

// One probe for each due paced host, inside the global rate (one batch of the pacer).
void Transmitter::send_paced(const std::stop_token& stop, Nanoseconds now) {
  const std::uint32_t budget = pacer_.next_batch(stop);
  std::uint32_t filled = 0;
  std::size_t offset = 0;
  for (PacedHost& host : paced_) {
    if (filled == budget) break;
    if (now < host.next_send || host.exhausted_at.count() != 0) continue;
    const Nanoseconds interval = interval_of(host.rate);
    host.next_send = std::max(host.next_send + interval, now);
    std::uint64_t entry;
    if (!next_paced_entry(host, entry)) {
      host.exhausted_at = now;
      host.next_send = now + final_wait_;
      continue;
    }
    if (resources_.window.mark_sent(host.at, entry) != MarkSent::kMarked) continue;
    const std::uint64_t key = probe_key(host.at.group, entry, max_entries_per_group_);
    if (RttEstimator::wants_sample(key)) shared_.rtt.forget(key);
    std::byte* out = frame_memory_.data() + offset;
    const auto probe = static_cast<std::uint32_t>(entry % probes_per_host_);
    const std::uint32_t size = build(host.address, probe, out);
    if (size == 0) continue;
    if (plan_.source_count > 1) {  // a -S range: each source has its own budget at the host
      rewrite_source(std::span<std::byte>(out, size), packet::ipv4_offset_for(resources_.network.hop.link_header),
                     *plan_.source_ip + host.next_source);
      host.next_source = (host.next_source + 1) % plan_.source_count;
    }
    batch_[filled] = {out, size};
    batch_targets_[filled] = host.address;
    ++filled;
    offset += (static_cast<std::size_t>(size) + 63) & ~std::size_t{63};
  }
  if (filled < budget) pacer_.give_back(budget - filled);
  if (filled == 0) return;
  counters_.retry_probes.fetch_add(filled, std::memory_order_relaxed);
  log_sends(now, filled);
}

void Transmitter::end_paced_host(const PacedHost& host) {
  for (ActiveGroup& group : active_) {
    if (group.at.group == host.at.group) --group.paced_hosts;
  }
}

// A group is over after every try and the final wait (or on interruption). Sealing its slot makes
// what is still pending final without a write per entry: the collector reads pending entries of a
// finished group as no-response, and a reply arriving later counts as late.
void Transmitter::hand_over(const ActiveGroup& group, bool interrupted) {
  resources_.window.seal(group.at);
  shared_.done.push({group.at.group, interrupted});
}

// Interrupted: stop sending, give in-flight replies a short grace period (skipped on a second
// interrupt), then hand over what is known. Pending probes are left out, never guessed.
void Transmitter::finish_interrupted() {
  paced_.clear();
  const auto grace_end = std::chrono::steady_clock::now() +
                         std::chrono::duration<double>(std::min(plan_.wait_seconds, 1.0));
  while (interrupts_.load() < 2 && std::chrono::steady_clock::now() < grace_end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const ActiveGroup& group : active_) hand_over(group, true);
}

}  // namespace synscan::scanner::engine
