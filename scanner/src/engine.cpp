#include "engine.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "arp_sweep.hpp"
#include "capture.hpp"
#include "fd.hpp"
#include "frame_sender.hpp"
#include "next_hop.hpp"
#include "privileges.hpp"
#include "resume_file.hpp"
#include "scanner/resume.hpp"
#include "packet/checksum.hpp"
#include "packet/cookie.hpp"
#include "packet/probe_template.hpp"
#include "packet/reply.hpp"
#include "packet/udp_payloads.hpp"
#include "net/ipv4_address.hpp"
#include "rate/token_bucket.hpp"
#include "scanner/errors.hpp"
#include "scanner/rtt_estimator.hpp"
#include "scanner/scan_order.hpp"
#include "scanner/state_table.hpp"

namespace synscan::scanner {
namespace {

using output::PortResult;
using output::PortState;
using output::Protocol;
using output::Reason;
using rate::Nanoseconds;

// State-table result codes are 1 + output::Reason (0 means "pending").
constexpr std::uint8_t result_code(Reason reason) noexcept {
  return static_cast<std::uint8_t>(1 + static_cast<std::uint8_t>(reason));
}
constexpr Reason reason_of(std::uint8_t code) noexcept { return static_cast<Reason>(code - 1); }

// nmap -sS / -sU semantics (REFERENCE.md): the state follows from the protocol and the reason.
constexpr PortState state_for(Protocol protocol, Reason reason) noexcept {
  switch (reason) {
    case Reason::kSynAck:
    case Reason::kUdpResponse:
      return PortState::kOpen;
    case Reason::kReset:
      return PortState::kClosed;
    case Reason::kPortUnreach:
      return protocol == Protocol::kUdp ? PortState::kClosed : PortState::kFiltered;
    case Reason::kNoResponse:
      return protocol == Protocol::kUdp ? PortState::kOpenFiltered : PortState::kFiltered;
    default:
      return PortState::kFiltered;
  }
}

// ICMP destination-unreachable codes (RFC 792/1122/1812) to nmap's reasons. Codes nmap has no
// word for map to the nearest one: unknown/isolated/TOS variants of host and net unreachable,
// precedence violations to admin-prohibited.
constexpr Reason icmp_reason(std::uint8_t type, std::uint8_t code) noexcept {
  if (type == 11) return Reason::kTimeExceeded;
  switch (code) {
    case 0: case 6: case 11: return Reason::kNetUnreach;
    case 1: case 5: case 7: case 8: case 12: return Reason::kHostUnreach;
    case 2: return Reason::kProtoUnreach;
    case 3: return Reason::kPortUnreach;
    case 9: return Reason::kNetProhibited;
    case 10: return Reason::kHostProhibited;
    default: return Reason::kAdminProhibited;  // 4 (frag needed, DF), 13, 14, 15
  }
}

// One writer's counters live on their own cache line: relaxed atomics, read by the progress line.
struct alignas(64) TransmitCounters {
  std::atomic<std::uint64_t> first_pass_probes{0};
  std::atomic<std::uint64_t> retry_probes{0};
  std::atomic<std::uint64_t> frames_sent{0};
  std::atomic<std::uint64_t> frame_bytes{0};
  std::atomic<std::uint64_t> send_retries{0};
  std::atomic<std::uint64_t> send_errors{0};
};

struct alignas(64) CaptureCounters {
  std::atomic<std::uint64_t> frames_seen{0};
  std::atomic<std::uint64_t> parse_rejects{0};
  std::atomic<std::uint64_t> not_ours{0};        // cookie/port validation failed
  std::atomic<std::uint64_t> not_a_target{0};    // valid cookie but address/port not scanned
  std::atomic<std::uint64_t> late{0};            // group already finished (stale)
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> results{0};
  std::atomic<std::uint64_t> open_found{0};
  std::atomic<std::uint64_t> kernel_drops{0};
  std::atomic<std::uint64_t> interface_drops{0};
};

struct DoneGroup {
  std::uint64_t group;
  std::size_t slot;
  bool interrupted;
};

// Per-slot bookkeeping beside the state table. `finals` lets the transmitter finish a group as
// soon as every probe has an answer, without scanning the slot.
struct alignas(64) SlotInfo {
  std::atomic<bool> free{true};
  std::atomic<std::uint64_t> finals{0};
  std::time_t opened_at = 0;  // written by the transmitter before the slot is published
};

// Visible in top -H, perf and /proc/PID/task/*/comm (at most 15 characters).
void name_this_thread(const std::string& name) noexcept {
  (void)::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
}

std::uint64_t entries_in_shard(const ScanOrder& order, std::uint64_t group) noexcept {
  const std::uint64_t entries = order.entries_in_group(group);
  const std::uint64_t offset = order.shard().index - 1, stride = order.shard().count;
  return entries > offset ? (entries - offset + stride - 1) / stride : 0;
}

// Writes the cookie into a UDP probe's payload and updates the UDP checksum incrementally
// (RFC 1624) over the 16-bit words the cookie touched. Words are aligned to the UDP header, which
// starts at an even offset of the frame.
void patch_udp_cookie(std::byte* frame, std::size_t payload_offset, std::size_t frame_size,
                      const packet::UdpPayload& payload, std::uint32_t cookie) noexcept {
  const std::size_t first = payload_offset + payload.echo.request_offset;
  const std::size_t last = first + payload.echo.width;  // exclusive
  const std::size_t word_first = packet::kL4Offset + ((first - packet::kL4Offset) & ~std::size_t{1});
  std::uint16_t old_words[4];
  std::size_t words = 0;
  const auto word_at = [&](std::size_t at) {
    const unsigned high = std::to_integer<unsigned>(frame[at]);
    const unsigned low = at + 1 < frame_size ? std::to_integer<unsigned>(frame[at + 1]) : 0;
    return static_cast<std::uint16_t>(high << 8 | low);
  };
  for (std::size_t at = word_first; at < last && words < 4; at += 2) old_words[words++] = word_at(at);
  packet::UdpPayloadTable::write_cookie(payload, std::span<std::byte>(frame + payload_offset,
                                                                      frame_size - payload_offset),
                                        cookie);
  std::byte* checksum_field = frame + packet::kL4Offset + 6;
  std::uint16_t checksum = static_cast<std::uint16_t>(std::to_integer<unsigned>(checksum_field[0]) << 8 |
                                                      std::to_integer<unsigned>(checksum_field[1]));
  std::size_t index = 0;
  for (std::size_t at = word_first; at < last && index < words; at += 2, ++index) {
    checksum = packet::checksum_update16(checksum, old_words[index], word_at(at));
  }
  if (checksum == 0) checksum = 0xFFFF;  // RFC 768: zero means "no checksum"
  checksum_field[0] = static_cast<std::byte>(checksum >> 8);
  checksum_field[1] = static_cast<std::byte>(checksum & 0xFF);
}

class Scan {
 public:
  Scan(const ScanPlan& plan, std::vector<std::unique_ptr<output::ResultWriter>>& writers,
       const std::atomic<int>& interrupts)
      : plan_(plan),
        writers_(writers),
        interrupts_(interrupts),
        rtt_(seconds(plan.initial_rtt_timeout), seconds(plan.min_rtt_timeout),
             seconds(plan.max_rtt_timeout)) {}
  static Nanoseconds seconds(double value) {
    return std::chrono::duration_cast<Nanoseconds>(std::chrono::duration<double>(value));
  }

  ScanOutcome run();

 private:
  // --- setup -------------------------------------------------------------------------------
  void prepare();
  void prepare_network();
  // --- transmit thread ---------------------------------------------------------------------
  void transmit(const std::stop_token& stop, unsigned thread_index);
  /// The frame of probe `entry` of a group whose local host `entry / probes_per_host_` has address
  /// `target`; 0 when there is nothing to send (unreachable on-link host).
  std::uint32_t build_probe(std::uint32_t target, std::uint64_t entry, std::byte* out) const noexcept;
  // --- capture thread ----------------------------------------------------------------------
  void capture(const std::stop_token& stop);
  static void on_frame(u_char* user, const pcap_pkthdr* header, const u_char* bytes);
  void handle_frame(std::span<const std::byte> frame) noexcept;
  // --- output (calling) thread -------------------------------------------------------------
  void write_group(const DoneGroup& done);
  void open_resume_file();
  void save_resume_state(bool complete);
  void stream_port_results();
  void emit_port(std::uint32_t address, std::size_t probe, const EntryView& entry, std::time_t when);
  [[nodiscard]] PortResult result_of(std::size_t probe, const EntryView& entry) const noexcept;
  void progress_line(bool final_line);
  template <typename Call>
  void for_each_writer(Call&& call);

  const ScanPlan& plan_;
  std::vector<std::unique_ptr<output::ResultWriter>>& writers_;
  const std::atomic<int>& interrupts_;

  NextHop hop_;
  NeighbourMacs neighbours_;
  bool any_on_link_ = false;
  std::optional<packet::Cookie> cookie_;
  std::optional<packet::TcpSynTemplate> syn_template_;
  packet::UdpPayloadTable udp_payloads_ = packet::UdpPayloadTable::builtin();
  std::vector<std::optional<packet::UdpTemplate>> udp_templates_;  // by payload index
  struct UdpProbe {
    const packet::UdpTemplate* frame;
    const packet::UdpPayload* payload;
  };
  std::vector<UdpProbe> udp_probes_;  // by UDP port position
  std::optional<ScanOrder> order_;
  std::optional<StateTable> table_;
  std::unique_ptr<SlotInfo[]> slots_;
  std::optional<PcapHandle> pcap_;
  std::vector<std::unique_ptr<FrameSender>> senders_;  // one per transmit thread
  unsigned transmit_threads_ = 1;
  bool streams_ports_ = false;  // some output consumes per-port records (JSON lines)
  std::uint32_t probes_per_host_ = 0;
  // probe index of each port, per protocol; -1 = not scanned. Read by the capture thread.
  std::vector<std::int32_t> tcp_probe_of_port_, udp_probe_of_port_;

  std::unique_ptr<TransmitCounters[]> tx_;  // one per transmit thread
  CaptureCounters rx_;
  [[nodiscard]] std::uint64_t transmitted(std::atomic<std::uint64_t> TransmitCounters::*counter) const noexcept {
    std::uint64_t total = 0;
    for (unsigned thread = 0; thread < transmit_threads_; ++thread) {
      total += (tx_[thread].*counter).load(std::memory_order_relaxed);
    }
    return total;
  }
  RttEstimator rtt_;
  // A probe's identity across the scan, for RTT samples: never 0.
  [[nodiscard]] std::uint64_t probe_key(std::uint64_t group, std::uint64_t entry) const noexcept {
    return group * order_->max_entries_per_group() + entry + 1;
  }

  std::mutex done_mutex_;
  std::condition_variable done_ready_;
  std::deque<DoneGroup> done_groups_;
  std::atomic<unsigned> transmitters_running_{0};

  std::vector<PortResult> host_ports_;  // output thread scratch
  struct Streamed {
    std::uint64_t group = StateTable::kNoGroup;
    std::uint64_t finals = 0;
  };
  std::vector<Streamed> streamed_;      // output thread: per slot, what stream_port_results saw
  ResumeState resume_state_;            // output thread: groups written, groups cut short
  ResumeFile resume_file_;
  std::uint64_t hosts_up_ = 0;
  std::uint64_t state_counts_[4] = {};
  std::exception_ptr output_error_;
  Nanoseconds started_{};
  Nanoseconds last_progress_{};
  std::uint64_t last_progress_frames_ = 0;
  std::uint64_t last_progress_bytes_ = 0;
};

void Scan::prepare_network() {
  hop_ = find_route(plan_.targets.at(0), {plan_.interface, plan_.source_ip, plan_.router_mac});
  // On-link targets get their own MACs from an ARP sweep; the rest go to the router. An explicit
  // --router-mac sends everything there (the user knows their network).
  const std::uint64_t on_link_targets = hop_.router_mac_known ? 0 : count_on_link(hop_, plan_.targets);
  if (on_link_targets > (1u << 20)) {
    throw RuntimeError(fmt::format("{} targets are on the local subnet of {}: too many to ARP; "
                                   "give --router-mac to send through a router",
                                   on_link_targets, hop_.interface));
  }
  if (on_link_targets > 0) {
    spdlog::info("ARP-resolving {} on-link targets on {}", on_link_targets, hop_.interface);
    neighbours_ = arp_sweep(hop_, plan_.targets, plan_.rate > 0 ? std::min(plan_.rate, 20000.0) : 20000.0);
    spdlog::info("{} of {} on-link targets answered ARP", neighbours_.size(), on_link_targets);
  }
  if (!hop_.router_mac_known && on_link_targets < plan_.targets.size()) {
    if (hop_.gateway_ip == 0) {
      throw RuntimeError("no gateway toward " + net::Ipv4Address(plan_.targets.at(0)).to_string() +
                         " on " + hop_.interface + " for off-link targets (give --router-mac)");
    }
    const auto mac = resolve_mac(hop_, hop_.gateway_ip);
    if (!mac) {
      throw RuntimeError("no ARP reply from gateway " +
                         net::Ipv4Address(hop_.gateway_ip).to_string() + " on " + hop_.interface +
                         " (give --router-mac to skip ARP)");
    }
    hop_.router_mac = *mac;
    hop_.router_mac_known = true;
  }
  any_on_link_ = on_link_targets > 0;
  spdlog::debug("interface {} ({}), source {}, gateway {}, next-hop MAC {}", hop_.interface,
                hop_.interface_mac.to_string(), net::Ipv4Address(hop_.source_ip).to_string(),
                hop_.gateway_ip ? net::Ipv4Address(hop_.gateway_ip).to_string() : "on-link",
                hop_.router_mac.to_string());

}

void Scan::prepare() {
  if (plan_.targets.empty()) throw UsageError("no targets to scan");
  probes_per_host_ = static_cast<std::uint32_t>(plan_.ports.size());
  if (probes_per_host_ == 0) throw UsageError("no ports to scan");

  if (plan_.offline) {
    // The whole engine without the network: frames are built and counted, never sent, and no
    // capture runs. Measures synscan's own cost per probe.
    hop_.interface = "offline";
    hop_.source_ip = plan_.source_ip.value_or(0xC6130001u);  // 198.19.0.1, never on the wire
    hop_.router_mac = {0x02, 0, 0, 0, 0, 0x02};
    hop_.interface_mac = {0x02, 0, 0, 0, 0, 0x01};
  } else {
    prepare_network();
  }

  packet::SourcePortRange ports;
  if (plan_.source_port) ports = {*plan_.source_port, 1};
  cookie_.emplace(packet::SipKey::random(), hop_.source_ip, ports);

  const packet::FrameAddressing addressing{hop_.interface_mac, hop_.router_mac, hop_.source_ip,
                                           plan_.ttl, static_cast<std::uint16_t>(::getpid())};
  syn_template_.emplace(addressing, packet::TcpSynOptions{});
  if (!plan_.udp_payloads_file.empty()) {
    try {
      udp_payloads_.load_file(plan_.udp_payloads_file);
    } catch (const packet::PayloadFileError& error) {
      throw UsageError(error.what());
    }
  }
  udp_templates_.resize(udp_payloads_.payloads().size());
  for (std::uint16_t port : plan_.ports.udp) {
    const std::size_t index = udp_payloads_.index_for_port(port);
    if (!udp_templates_[index]) udp_templates_[index].emplace(addressing, udp_payloads_.payloads()[index].bytes);
    udp_probes_.push_back({&*udp_templates_[index], &udp_payloads_.payloads()[index]});
  }

  tcp_probe_of_port_.assign(65536, -1);
  udp_probe_of_port_.assign(65536, -1);
  std::int32_t probe = 0;
  for (std::uint16_t port : plan_.ports.tcp) tcp_probe_of_port_[port] = probe++;
  for (std::uint16_t port : plan_.ports.udp) udp_probe_of_port_[port] = probe++;

  // A resumed scan must walk exactly the interrupted scan's order.
  const std::uint32_t hosts_per_group =
      plan_.resume ? plan_.resume->hosts_per_group
                   : choose_hosts_per_group(plan_.targets.size(), probes_per_host_, plan_.rate);
  order_.emplace(plan_.targets.size(), probes_per_host_, hosts_per_group, plan_.seed, plan_.shard);

  // Slots in flight: a group lives for its sends (one pass per try), the retry timeouts and the
  // final wait. Enough slots that the transmitter never starves at the asked rate while the RTT is
  // near its initial estimate; if replies get slower, a full window makes the transmitter wait
  // (backpressure) rather than grow memory.
  transmit_threads_ = plan_.transmit_threads;
  const double rate = plan_.rate > 0 ? plan_.rate : 1e6 * transmit_threads_;
  const double group_send_seconds =
      static_cast<double>(order_->max_entries_per_group()) / plan_.shard.count / rate;
  const double group_life = group_send_seconds * (plan_.retries + 1) +
                            (plan_.initial_rtt_timeout + 0.5) * plan_.retries + plan_.wait_seconds + 0.5;
  const auto wanted_slots = static_cast<std::uint64_t>(
      std::ceil(group_life / std::max(group_send_seconds, 1e-3))) + 2;
  // A multiple of the thread count: thread t's groups (t mod n) then use slots t mod n only.
  std::size_t slot_count = static_cast<std::size_t>(
      std::min<std::uint64_t>(wanted_slots, order_->group_count() + transmit_threads_));
  slot_count = (slot_count + transmit_threads_ - 1) / transmit_threads_ * transmit_threads_;
  table_.emplace(std::max<std::size_t>(slot_count, 1), order_->max_entries_per_group());
  tx_ = std::make_unique<TransmitCounters[]>(transmit_threads_);
  slots_ = std::make_unique<SlotInfo[]>(table_->slot_count());
  streamed_.assign(table_->slot_count(), {});
  spdlog::debug("{} hosts x {} probes, {} hosts per group, {} groups, {} slots ({} KiB state)",
                plan_.targets.size(), probes_per_host_, hosts_per_group, order_->group_count(),
                table_->slot_count(), table_->memory_bytes() / 1024);

  if (plan_.offline) {
    for (unsigned thread = 0; thread < transmit_threads_; ++thread) senders_.push_back(make_discarding_sender());
    return;
  }
  // Capture first, so no reply to the first probe can be missed.
  const packet::SourcePortRange range = cookie_->source_ports();
  pcap_.emplace(CaptureOptions{
      hop_.interface,
      reply_filter(hop_.source_ip, range.first,
                   static_cast<std::uint16_t>(range.first + range.count - 1))});
  if (pcap_->datalink() != DLT_EN10MB) {
    throw RuntimeError("interface " + hop_.interface + " is not Ethernet; not supported");
  }
  for (unsigned thread = 0; thread < transmit_threads_; ++thread) {
    senders_.push_back(plan_.send_backend == SendBackend::kLibnet
                           ? make_libnet_sender(hop_.interface)
                           : make_packet_socket_sender(hop_.interface_index));
  }

  const DroppedPrivileges dropped = drop_privileges(plan_.user);
  spdlog::info("running as {} (uid {}, gid {}) with no capabilities", dropped.user.empty() ? "the invoking user" : dropped.user,
               dropped.uid, dropped.gid);
}

std::uint32_t Scan::build_probe(std::uint32_t target, std::uint64_t entry,
                                std::byte* out) const noexcept {
  const auto probe = static_cast<std::size_t>(entry % probes_per_host_);
  const net::MacAddress* neighbour_mac = nullptr;
  if (any_on_link_ && on_link(hop_, target)) {
    neighbour_mac = neighbours_.find(target);
    if (!neighbour_mac) return 0;  // never answered ARP: down, nothing to send
  }
  std::uint32_t size;
  if (probe < plan_.ports.tcp.size()) {
    const std::uint16_t port = plan_.ports.tcp[probe];
    const packet::ProbeCookie cookie = cookie_->probe(target, port);
    syn_template_->write(out, target, cookie.source_port, port, cookie.sequence);
    size = static_cast<std::uint32_t>(syn_template_->size());
  } else {
    const std::size_t udp_index = probe - plan_.ports.tcp.size();
    const std::uint16_t port = plan_.ports.udp[udp_index];
    const UdpProbe& udp = udp_probes_[udp_index];
    const packet::ProbeCookie cookie = cookie_->probe(target, port);
    udp.frame->write(out, target, cookie.source_port, port);
    size = static_cast<std::uint32_t>(udp.frame->size());
    if (udp.payload->echo.width != 0) {
      patch_udp_cookie(out, udp.frame->payload_offset(), size, *udp.payload, cookie.sequence);
    }
  }
  if (neighbour_mac) std::memcpy(out + packet::kDestinationMacOffset, neighbour_mac->data(), neighbour_mac->size());
  return size;
}

// The transmitter owns group lifecycles: open a slot, send pass 0, wait rtt_timeout after the
// pass's last send, re-send only still-pending probes (pass 1..retries), wait `wait_seconds`,
// finalize what is still pending as no-response, hand the group to the output thread.
void Scan::transmit(const std::stop_token& stop, unsigned thread_index) {
  enum class Phase { kSending, kWaiting, kFinalWait };
  constexpr unsigned kLookahead = 16;  // a power of two
  struct ActiveGroup {
    std::uint64_t group;
    std::size_t slot;
    ScanOrder::GroupWalk walk;
    unsigned pass;
    Phase phase;
    Nanoseconds deadline;
    std::uint64_t shard_entries;
    bool restored;  // resumed from a saved state: some probes may have used their tries already
    // The group's host addresses by local host index, looked up once when the group opens: the
    // host permutation and the target list's binary search are then not paid per probe.
    std::vector<std::uint32_t> addresses;
    // The walk runs kLookahead entries ahead of the sends, and each upcoming entry's state-table
    // cell is prefetched when it is computed, so mark_sent finds it in cache.
    std::array<std::uint64_t, kLookahead> ahead{};
    unsigned ahead_head = 0;
    unsigned ahead_count = 0;
  };
  std::deque<ActiveGroup> active;
  std::vector<std::vector<std::uint32_t>> spare_addresses;
  // Thread t owns groups t, t + n, t + 2n, ... and (slot_count being a multiple of n) their slots;
  // the threads share nothing on the hot path but the state table's disjoint slots.
  std::uint64_t next_group = thread_index;
  const std::uint64_t group_count = order_->group_count();
  TransmitCounters& tx = tx_[thread_index];
  FrameSender& sender = *senders_[thread_index];

  const double thread_rate = plan_.rate / transmit_threads_;
  const std::uint32_t max_batch = rate::batch_size_for_rate(thread_rate);
  rate::Pacer pacer(thread_rate, max_batch);
  // Frames are packed one after another (64-byte aligned) so a batch of 58-byte SYNs spans 16 KiB,
  // not max_batch * kMaxFrame: the kernel's copy and our writes stay in L1/L2.
  constexpr std::size_t kMaxFrame = 1536;
  std::vector<std::byte> frame_memory(static_cast<std::size_t>(max_batch) * kMaxFrame);
  std::size_t frame_offset = 0;
  std::vector<FrameRef> batch(max_batch);
  SendCounters send_counters;
  const auto final_wait = std::chrono::duration_cast<Nanoseconds>(
      std::chrono::duration<double>(plan_.wait_seconds));

  // A group is over after every try and the final wait (or on interruption). Sealing its slot
  // makes what is still pending final without a write per entry: the output thread reads pending
  // entries of a finished group as no-response, and a reply arriving later counts as late.
  const auto hand_over = [&](const ActiveGroup& group, bool interrupted) {
    table_->seal_slot(group.slot);
    {
      std::lock_guard lock(done_mutex_);
      done_groups_.push_back({group.group, group.slot, interrupted});
    }
    done_ready_.notify_one();
  };
  // Group g lives in slot g % slot_count (the capture thread finds it there); the slot must have
  // been written out and released by the output thread first.
  const auto open_group = [&]() -> bool {
    // A resumed scan skips the groups the interrupted run already wrote out.
    while (plan_.resume && next_group < group_count && plan_.resume->group_done(next_group)) {
      tx.first_pass_probes.fetch_add(entries_in_shard(*order_, next_group), std::memory_order_relaxed);
      next_group += transmit_threads_;
    }
    if (next_group >= group_count) return false;
    const std::size_t slot = static_cast<std::size_t>(next_group % table_->slot_count());
    if (!slots_[slot].free.load(std::memory_order_acquire)) return false;
    slots_[slot].free.store(false, std::memory_order_relaxed);
    slots_[slot].finals.store(0, std::memory_order_relaxed);
    slots_[slot].opened_at = std::time(nullptr);
    table_->open_slot(slot, next_group);
    const SavedGroup* saved = plan_.resume ? plan_.resume->saved_entries(next_group) : nullptr;
    if (saved) {
      const std::size_t entries = std::min<std::size_t>(saved->size(), order_->entries_in_group(next_group));
      for (std::size_t entry = 0; entry < entries; ++entry) {
        const EntryView view{(*saved)[entry]};
        table_->restore_entry(slot, next_group, entry, view);
        if (view.final() && order_->in_shard(next_group, entry)) {
          slots_[slot].finals.fetch_add(1, std::memory_order_relaxed);
        }
      }
    }
    std::vector<std::uint32_t> addresses;
    if (!spare_addresses.empty()) {  // reuse a finished group's buffer: no allocation per group
      addresses = std::move(spare_addresses.back());
      spare_addresses.pop_back();
    }
    const std::uint32_t hosts = order_->hosts_in_group(next_group);
    addresses.resize(hosts);
    for (std::uint32_t host = 0; host < hosts; ++host) {
      addresses[host] = plan_.targets.at(order_->host_index(next_group, host));
    }
    active.push_back({next_group, slot, ScanOrder::GroupWalk(*order_, next_group), 0, Phase::kSending,
                      {}, entries_in_shard(*order_, next_group), saved != nullptr, std::move(addresses),
                      {}, 0, 0});
    next_group += transmit_threads_;
    return true;
  };

  while (!stop.stop_requested()) {
    Nanoseconds now = rate::monotonic_now();
    Nanoseconds earliest = now + std::chrono::milliseconds(5);
    for (auto it = active.begin(); it != active.end();) {
      const bool all_answered =
          slots_[it->slot].finals.load(std::memory_order_relaxed) >= it->shard_entries;
      if (it->phase != Phase::kSending && (all_answered || (it->phase == Phase::kFinalWait &&
                                                           now >= it->deadline))) {
        hand_over(*it, false);
        spare_addresses.push_back(std::move(it->addresses));
        it = active.erase(it);
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
    auto sending = std::find_if(active.begin(), active.end(),
                                [](const ActiveGroup& group) { return group.phase == Phase::kSending; });
    if (sending == active.end() && open_group()) sending = std::prev(active.end());
    if (sending == active.end()) {
      if (active.empty() && next_group >= group_count) break;
      std::this_thread::sleep_for(std::min<Nanoseconds>(earliest - now, std::chrono::milliseconds(5)));
      continue;
    }

    const std::uint32_t budget = pacer.next_batch(stop);
    if (budget == 0) break;
    now = rate::monotonic_now();  // the batch's send time, for RTT samples
    std::uint32_t filled = 0;
    // Counted locally and published once per batch: a locked add per probe cost more than the
    // counter is worth (the progress line reads it a few times a second).
    std::uint64_t first_pass_in_batch = 0, retries_in_batch = 0;
    frame_offset = 0;
    while (filled < budget && sending != active.end()) {
      ActiveGroup& group = *sending;
      while (group.ahead_count < kLookahead) {
        std::uint64_t upcoming;
        if (!group.walk.next(upcoming)) break;
        table_->prefetch(group.slot, static_cast<std::size_t>(upcoming));
        group.ahead[(group.ahead_head + group.ahead_count) % kLookahead] = upcoming;
        ++group.ahead_count;
      }
      if (group.ahead_count == 0) {
        // Pass over: time the next one from this pass's last send.
        group.phase = group.pass < plan_.retries ? Phase::kWaiting : Phase::kFinalWait;
        group.deadline = rate::monotonic_now() + (group.pass < plan_.retries ? rtt_.timeout() : final_wait);
        sending = std::find_if(active.begin(), active.end(), [](const ActiveGroup& candidate) {
          return candidate.phase == Phase::kSending;
        });
        if (sending == active.end() && open_group()) sending = std::prev(active.end());
        continue;
      }
      const std::uint64_t entry = group.ahead[group.ahead_head];
      group.ahead_head = (group.ahead_head + 1) % kLookahead;
      --group.ahead_count;
      // Restored probes may have used tries in the interrupted run: the budget spans both runs.
      if (group.restored && table_->load(group.slot, entry).send_count() > plan_.retries) continue;
      if (table_->mark_sent(group.slot, group.group, entry) != MarkSent::kMarked) continue;
      const std::uint64_t key = probe_key(group.group, entry);
      if (RttEstimator::wants_sample(key)) {
        if (group.pass == 0) {
          rtt_.record_send(key, now);
        } else {
          rtt_.forget(key);
        }
      }
      ++(group.pass == 0 ? first_pass_in_batch : retries_in_batch);
      std::byte* out = frame_memory.data() + frame_offset;  // room for kMaxFrame: see below
      const std::uint32_t size =
          build_probe(group.addresses[static_cast<std::size_t>(entry / probes_per_host_)], entry, out);
      if (size == 0) {  // unreachable on-link host: final without a send
        if (table_->finalize(group.slot, group.group, entry, result_code(Reason::kNoResponse), 0) ==
            Finalize::kFirst) {
          slots_[group.slot].finals.fetch_add(1, std::memory_order_relaxed);
        }
        continue;
      }
      batch[filled] = {out, size};
      ++filled;
      // Each frame takes at most kMaxFrame, so max_batch frames always fit the buffer.
      frame_offset += (static_cast<std::size_t>(size) + 63) & ~std::size_t{63};
    }
    if (filled < budget) pacer.give_back(budget - filled);
    if (first_pass_in_batch) tx.first_pass_probes.fetch_add(first_pass_in_batch, std::memory_order_relaxed);
    if (retries_in_batch) tx.retry_probes.fetch_add(retries_in_batch, std::memory_order_relaxed);
    if (filled > 0) {
      sender.send(std::span<const FrameRef>(batch.data(), filled), send_counters);
      tx.frames_sent.store(send_counters.frames_sent, std::memory_order_relaxed);
      tx.frame_bytes.store(send_counters.bytes_sent, std::memory_order_relaxed);
      tx.send_retries.store(send_counters.retries, std::memory_order_relaxed);
      tx.send_errors.store(send_counters.errors, std::memory_order_relaxed);
    }
  }

  if (!active.empty()) {
    // Interrupted: stop sending, give in-flight replies a short grace period (skipped on a second
    // interrupt), then hand over what is known. Pending probes are left out, never guessed.
    const auto grace_end = std::chrono::steady_clock::now() +
                           std::chrono::duration<double>(std::min(plan_.wait_seconds, 1.0));
    while (interrupts_.load() < 2 && std::chrono::steady_clock::now() < grace_end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (const ActiveGroup& group : active) hand_over(group, true);
  }
  transmitters_running_.fetch_sub(1, std::memory_order_acq_rel);
  done_ready_.notify_one();
}

void Scan::capture(const std::stop_token& stop) {
  auto last_stats = std::chrono::steady_clock::now();
  while (!stop.stop_requested()) {
    const int status = pcap_dispatch(pcap_->get(), -1, &Scan::on_frame, reinterpret_cast<u_char*>(this));
    if (status == PCAP_ERROR) {
      spdlog::error("capture failed: {}", pcap_geterr(pcap_->get()));
      break;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_stats > std::chrono::milliseconds(500)) {
      last_stats = now;
      const CaptureDrops drops = pcap_->drops();
      rx_.kernel_drops.store(drops.kernel_drops, std::memory_order_relaxed);
      rx_.interface_drops.store(drops.interface_drops, std::memory_order_relaxed);
    }
  }
  const CaptureDrops drops = pcap_->drops();
  rx_.kernel_drops.store(drops.kernel_drops, std::memory_order_relaxed);
  rx_.interface_drops.store(drops.interface_drops, std::memory_order_relaxed);
}

void Scan::on_frame(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
  reinterpret_cast<Scan*>(user)->handle_frame(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes), header->caplen));
}

// The capture hot path: parse, validate the cookie, locate the probe, CAS its final state.
// No allocation, no lock; every outcome is a counter.
void Scan::handle_frame(std::span<const std::byte> frame) noexcept {
  const auto bump = [](std::atomic<std::uint64_t>& counter) {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  };
  bump(rx_.frames_seen);
  packet::Reply reply;
  if (packet::parse_ethernet_frame(frame, reply) != packet::ParseStatus::kOk) {
    bump(rx_.parse_rejects);
    return;
  }
  std::uint32_t target;
  std::uint16_t port;
  Protocol protocol;
  Reason reason;
  packet::Validation validation;
  switch (reply.protocol) {
    case packet::kProtocolTcp: {
      const bool syn_ack = (reply.tcp_flags & (packet::tcp_flags::kSyn | packet::tcp_flags::kAck)) ==
                           (packet::tcp_flags::kSyn | packet::tcp_flags::kAck);
      if (syn_ack && !(reply.tcp_flags & packet::tcp_flags::kRst)) {
        validation = cookie_->validate_syn_ack(reply);
        reason = Reason::kSynAck;
      } else if (reply.tcp_flags & packet::tcp_flags::kRst) {
        validation = cookie_->validate_rst(reply);
        reason = Reason::kReset;
      } else {
        bump(rx_.not_ours);
        return;
      }
      target = reply.source_ip, port = reply.source_port, protocol = Protocol::kTcp;
      break;
    }
    case packet::kProtocolUdp: {
      validation = cookie_->validate_udp(reply);
      reason = Reason::kUdpResponse;
      target = reply.source_ip, port = reply.source_port, protocol = Protocol::kUdp;
      // Where the protocol echoes an id, the reply must carry our cookie back.
      const packet::UdpPayload& payload = udp_payloads_.for_port(port);
      if (validation == packet::Validation::kValid &&
          packet::UdpPayloadTable::check_echo(
              payload, reply.udp_payload, cookie_->probe(target, port).sequence) ==
              packet::EchoCheck::kMismatch) {
        validation = packet::Validation::kWrongCookie;
      }
      break;
    }
    case packet::kProtocolIcmp:
      validation = cookie_->validate_icmp_quote(reply);
      reason = icmp_reason(reply.icmp_type, reply.icmp_code);
      target = reply.quote.destination_ip, port = reply.quote.destination_port;
      if (reply.quote.protocol == packet::kProtocolTcp) {
        protocol = Protocol::kTcp;
      } else if (reply.quote.protocol == packet::kProtocolUdp) {
        protocol = Protocol::kUdp;
      } else {
        bump(rx_.not_ours);
        return;
      }
      // Port unreachable means "closed" for UDP only when the target itself says so (nmap).
      if (reason == Reason::kPortUnreach && protocol == Protocol::kUdp &&
          reply.source_ip != target) {
        reason = Reason::kHostUnreach;
      }
      break;
    default:
      bump(rx_.parse_rejects);
      return;
  }
  if (validation != packet::Validation::kValid) {
    bump(rx_.not_ours);
    return;
  }
  const std::int32_t probe =
      (protocol == Protocol::kTcp ? tcp_probe_of_port_ : udp_probe_of_port_)[port];
  const std::optional<std::uint64_t> host_index = plan_.targets.index_of(target);
  if (probe < 0 || !host_index) {
    bump(rx_.not_a_target);
    return;
  }
  const ScanOrder::Location location = order_->locate(*host_index);
  const std::uint64_t entry =
      std::uint64_t{location.local_host} * probes_per_host_ + static_cast<std::uint64_t>(probe);
  const std::size_t slot = static_cast<std::size_t>(location.group % table_->slot_count());
  switch (table_->finalize(slot, location.group, entry, result_code(reason), reply.ttl)) {
    case Finalize::kFirst: {
      slots_[slot].finals.fetch_add(1, std::memory_order_relaxed);
      const std::uint64_t key = probe_key(location.group, entry);
      if (RttEstimator::wants_sample(key)) rtt_.on_answer(key, rate::monotonic_now());
      bump(rx_.results);
      if (state_for(protocol, reason) == PortState::kOpen) bump(rx_.open_found);
      break;
    }
    case Finalize::kDuplicate:
      bump(rx_.duplicates);
      break;
    case Finalize::kStale:
      bump(rx_.late);
      break;
  }
}

template <typename Call>
void Scan::for_each_writer(Call&& call) {
  for (auto& writer : writers_) {
    if (!writer) continue;
    try {
      call(*writer);
    } catch (const output::OutputError&) {
      // A dead output (closed pipe, full disk) stops the scan; the other outputs carry on and
      // are closed well-formed.
      if (!output_error_) output_error_ = std::current_exception();
      writer.reset();
    }
  }
}

PortResult Scan::result_of(std::size_t probe, const EntryView& entry) const noexcept {
  const bool tcp = probe < plan_.ports.tcp.size();
  PortResult result;
  result.protocol = tcp ? Protocol::kTcp : Protocol::kUdp;
  result.port = tcp ? plan_.ports.tcp[probe] : plan_.ports.udp[probe - plan_.ports.tcp.size()];
  result.reason = reason_of(entry.result());
  result.state = state_for(result.protocol, result.reason);
  result.reason_ttl = entry.ttl();
  return result;
}

void Scan::emit_port(std::uint32_t address, std::size_t probe, const EntryView& entry,
                     std::time_t when) {
  const PortResult result = result_of(probe, entry);
  for_each_writer([&](output::ResultWriter& writer) { writer.port_result(address, result, when); });
}

// Per-port records as soon as they are final (only JSON lines consumes them). Scans the slots in
// flight for final entries not yet reported; the reported bit makes each record appear once.
void Scan::stream_port_results() {
  const std::time_t now = std::time(nullptr);
  for (std::size_t slot = 0; slot < table_->slot_count(); ++slot) {
    const std::uint64_t group = table_->slot_group(slot);
    if (group == StateTable::kNoGroup || slots_[slot].free.load(std::memory_order_acquire)) continue;
    // Only slots with new final entries since the last pass are walked: at high rates the window
    // holds millions of entries and most of them do not change between two passes.
    const std::uint64_t finals = slots_[slot].finals.load(std::memory_order_acquire);
    if (streamed_[slot].group == group && streamed_[slot].finals == finals) continue;
    streamed_[slot] = {group, finals};
    const std::uint64_t entries = order_->entries_in_group(group);
    for (std::uint64_t entry = 0; entry < entries; ++entry) {
      const EntryView view = table_->load(slot, entry);
      if (!view.final() || view.reported()) continue;
      // --open: a state it leaves out needs no record and no locked op (see write_group).
      const auto probe = static_cast<std::size_t>(entry % probes_per_host_);
      if (plan_.only_open && !output::shown_with_open_only(result_of(probe, view).state)) continue;
      if (!table_->mark_reported(slot, entry)) continue;
      const auto local_host = static_cast<std::uint32_t>(entry / probes_per_host_);
      emit_port(plan_.targets.at(order_->host_index(group, local_host)), probe, table_->load(slot, entry),
                now);
    }
  }
}

void Scan::write_group(const DoneGroup& done) {
  const std::time_t now = std::time(nullptr);
  if (!done.interrupted) {
    resume_state_.done_above.push_back(done.group);
  }
  const std::uint32_t hosts = order_->hosts_in_group(done.group);
  // Most hosts of a sweep answer nothing. When no per-port record is due for a silent probe, such
  // a host costs one load per probe: counted by protocol, no result built, no host record.
  constexpr std::uint8_t kSilent = result_code(Reason::kNoResponse);
  const bool silent_records_due = streams_ports_ && (!plan_.only_open || !plan_.ports.udp.empty());
  const bool unsharded = order_->shard().count == 1;
  const std::size_t tcp_probes = plan_.ports.tcp.size();
  for (std::uint32_t local_host = 0; local_host < hosts; ++local_host) {
    const std::uint64_t first_entry = std::uint64_t{local_host} * probes_per_host_;
    if (!silent_records_due && unsharded) {
      std::uint64_t silent[2] = {0, 0};  // TCP, UDP
      bool answered = false;
      for (std::uint32_t probe = 0; probe < probes_per_host_; ++probe) {
        const EntryView view = table_->load(done.slot, first_entry + probe);
        if (!view.final()) {
          if (done.interrupted) continue;  // before all tries: left out, never guessed
        } else if (view.result() != kSilent) {
          answered = true;  // an up host: the full path below
          break;
        }
        ++silent[probe < tcp_probes ? 0 : 1];
      }
      if (!answered) {
        state_counts_[static_cast<int>(PortState::kFiltered)] += silent[0];
        state_counts_[static_cast<int>(PortState::kOpenFiltered)] += silent[1];
        continue;
      }
    }
    const std::uint32_t address = plan_.targets.at(order_->host_index(done.group, local_host));
    host_ports_.clear();
    for (std::uint32_t probe = 0; probe < probes_per_host_; ++probe) {
      const std::uint64_t entry = std::uint64_t{local_host} * probes_per_host_ + probe;
      if (!order_->in_shard(done.group, entry)) continue;
      EntryView view = table_->load(done.slot, entry);
      if (!view.final()) {
        if (done.interrupted) continue;  // before all tries: left out, never guessed
        view = view.with_result(kSilent);  // sealed after every try and the wait: no answer
      }
      const PortResult result = result_of(probe, view);
      // Per-port records (JSON lines) for what streaming has not written yet. Without a consumer,
      // or for a state --open leaves out, no record is due and the entry needs no locked op.
      if (streams_ports_ && !view.reported() &&
          (!plan_.only_open || output::shown_with_open_only(result.state)) &&
          table_->mark_reported(done.slot, entry)) {
        emit_port(address, probe, view, now);
      }
      ++state_counts_[static_cast<int>(result.state)];
      host_ports_.push_back(result);
    }
    if (!output::host_is_up(host_ports_)) continue;
    ++hosts_up_;
    const output::HostResult host{address, host_ports_, slots_[done.slot].opened_at, now};
    for_each_writer([&](output::ResultWriter& writer) { writer.host(host); });
  }
  if (done.interrupted) {
    // Saved after the records above were emitted, so their reported bits travel with them.
    std::vector<std::uint32_t> entries(order_->entries_in_group(done.group));
    for (std::size_t entry = 0; entry < entries.size(); ++entry) entries[entry] = table_->load(done.slot, entry).raw;
    resume_state_.in_flight.emplace_back(done.group, std::move(entries));
  }
  table_->close_slot(done.slot);
  slots_[done.slot].free.store(true, std::memory_order_release);
}

void Scan::open_resume_file() {
  // Created now, while we may still write there: after the privilege drop we might not.
  resume_file_ = ResumeFile::open(plan_);
}

void Scan::save_resume_state(bool complete) {
  if (!resume_file_.valid()) return;
  resume_state_.settle(plan_.resume.get(), order_->group_count(), complete);
  resume_state_.hosts_per_group = order_->hosts_per_group();
  resume_state_.fingerprint = plan_fingerprint(plan_, order_->hosts_per_group());
  try {
    resume_file_.save(format_resume_file(plan_, resume_state_));
    if (!complete) spdlog::warn("resume with: synscan --resume {} -oA NEW-BASE", resume_file_.path());
  } catch (const RuntimeError& error) {
    spdlog::error("{}", error.what());
  }
}

std::string format_duration(double seconds) {
  const auto total = static_cast<long>(seconds + 0.5);
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  return text;
}

void Scan::progress_line(bool final_line) {
  const Nanoseconds now = rate::monotonic_now();
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  const double since_last = std::chrono::duration<double>(now - last_progress_).count();
  const std::uint64_t frames = transmitted(&TransmitCounters::frames_sent);
  const std::uint64_t bytes = transmitted(&TransmitCounters::frame_bytes);
  const double pps_now = since_last > 0 ? static_cast<double>(frames - last_progress_frames_) / since_last : 0;
  const double pps_average = elapsed > 0 ? static_cast<double>(frames) / elapsed : 0;
  // Line rate like a NIC counter: frame bytes (Ethernet minimum 60 + 4 FCS) + 20 bytes of
  // preamble and inter-frame gap per frame.
  const double wire_bits_now = static_cast<double>(bytes - last_progress_bytes_ + 24 * (frames - last_progress_frames_)) * 8;
  const double gbps_now = since_last > 0 ? wire_bits_now / since_last / 1e9 : 0;
  last_progress_ = now;
  last_progress_frames_ = frames;
  last_progress_bytes_ = bytes;
  const std::uint64_t total = std::max<std::uint64_t>(order_->shard_probe_count(), 1);
  const double done =
      static_cast<double>(transmitted(&TransmitCounters::first_pass_probes)) / static_cast<double>(total);
  const double eta = done > 0 ? elapsed / done - elapsed : 0;
  const std::uint64_t drops = rx_.kernel_drops.load(std::memory_order_relaxed) +
                              rx_.interface_drops.load(std::memory_order_relaxed);
  if (!final_line) {
    std::fprintf(stderr,
                 "synscan: %5.1f%% sent, %.0f pps now (%.0f avg, %.3f Gbit/s), ETA %s, %llu open, "
                 "%llu capture drops, %llu send errors\n",
                 done * 100, pps_now, pps_average, gbps_now, format_duration(eta).c_str(),
                 static_cast<unsigned long long>(rx_.open_found.load(std::memory_order_relaxed)),
                 static_cast<unsigned long long>(drops),
                 static_cast<unsigned long long>(transmitted(&TransmitCounters::send_errors)));
    return;
  }
  std::fprintf(
      stderr,
      "synscan: done in %.2f s: %llu hosts up of %llu; ports: %llu open, %llu closed, %llu filtered, "
      "%llu open|filtered\n"
      "synscan: sent %llu probes (%llu retries) at %.0f pps avg; replies: %llu matched, %llu "
      "duplicate, %llu late, %llu not ours, %llu malformed; capture drops %llu; send errors %llu\n",
      elapsed, static_cast<unsigned long long>(hosts_up_),
      static_cast<unsigned long long>(plan_.targets.size()),
      static_cast<unsigned long long>(state_counts_[0]), static_cast<unsigned long long>(state_counts_[1]),
      static_cast<unsigned long long>(state_counts_[2]), static_cast<unsigned long long>(state_counts_[3]),
      static_cast<unsigned long long>(frames),
      static_cast<unsigned long long>(transmitted(&TransmitCounters::retry_probes)), pps_average,
      static_cast<unsigned long long>(rx_.results.load(std::memory_order_relaxed)),
      static_cast<unsigned long long>(rx_.duplicates.load(std::memory_order_relaxed)),
      static_cast<unsigned long long>(rx_.late.load(std::memory_order_relaxed)),
      static_cast<unsigned long long>(rx_.not_ours.load(std::memory_order_relaxed) +
                                      rx_.not_a_target.load(std::memory_order_relaxed)),
      static_cast<unsigned long long>(rx_.parse_rejects.load(std::memory_order_relaxed)),
      static_cast<unsigned long long>(drops),
      static_cast<unsigned long long>(transmitted(&TransmitCounters::send_errors)));
}

ScanOutcome Scan::run() {
  open_resume_file();
  prepare();

  output::ScanInfo info;
  info.scanner_version = SYNSCAN_VERSION;
  info.command_line = plan_.command_line;
  info.start_time = std::time(nullptr);
  info.tcp_ports = plan_.ports.tcp;
  info.udp_ports = plan_.ports.udp;
  info.only_open = plan_.only_open;
  for_each_writer([&](output::ResultWriter& writer) { writer.begin(info); });

  started_ = last_progress_ = rate::monotonic_now();
  streams_ports_ = std::any_of(plan_.outputs.begin(), plan_.outputs.end(), [](const auto& request) {
    return request.format == output::Format::kJsonLines;
  });
  {
    std::jthread capture_thread;
    if (pcap_) {
      capture_thread = std::jthread([this](std::stop_token stop) {
        name_this_thread("synscan-rx");
        capture(stop);
      });
    }
    transmitters_running_.store(transmit_threads_, std::memory_order_release);
    std::vector<std::jthread> transmit_threads;
    for (unsigned thread = 0; thread < transmit_threads_; ++thread) {
      transmit_threads.emplace_back([this, thread](std::stop_token stop) {
        name_this_thread("synscan-tx" + std::to_string(thread));
        // The pacer sleeps until ~100 us before a token is due and spins the rest; the default
        // 50 us timer slack would eat half of that margin.
        (void)::prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
        transmit(stop, thread);
      });
    }
    const auto transmit_finished = [&] { return transmitters_running_.load(std::memory_order_acquire) == 0; };
    bool stop_requested = false;
    auto next_progress = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (;;) {
      std::deque<DoneGroup> ready;
      {
        std::unique_lock lock(done_mutex_);
        done_ready_.wait_for(lock, std::chrono::milliseconds(100), [&] {
          return !done_groups_.empty() || transmit_finished();
        });
        ready.swap(done_groups_);
      }
      if (streams_ports_) stream_port_results();
      for (const DoneGroup& done : ready) write_group(done);
      for_each_writer([](output::ResultWriter& writer) { writer.end_batch(); });
      if ((interrupts_.load() > 0 || output_error_) && !stop_requested) {
        stop_requested = true;
        for (std::jthread& thread : transmit_threads) thread.request_stop();
      }
      if (transmit_finished()) {
        std::lock_guard lock(done_mutex_);
        if (done_groups_.empty()) break;
      }
      if (plan_.progress && std::chrono::steady_clock::now() >= next_progress) {
        next_progress += std::chrono::seconds(1);
        progress_line(false);
      }
    }
    for (std::jthread& thread : transmit_threads) thread.join();
    capture_thread.request_stop();
    // Wakes a capture thread blocked in poll() (libpcap >= 1.10 signals an eventfd).
    if (pcap_) pcap_breakloop(pcap_->get());
  }

  ScanOutcome outcome;
  outcome.interrupted = interrupts_.load() > 0 || output_error_ != nullptr;
  outcome.hosts_up = hosts_up_;
  outcome.capture_drops = rx_.kernel_drops.load() + rx_.interface_drops.load();
  outcome.send_errors = transmitted(&TransmitCounters::send_errors);

  output::ScanSummary summary;
  summary.end_time = std::time(nullptr);
  summary.elapsed_seconds = std::chrono::duration<double>(rate::monotonic_now() - started_).count();
  summary.hosts_total = plan_.targets.size();
  summary.hosts_up = hosts_up_;
  summary.interrupted = outcome.interrupted;
  for_each_writer([&](output::ResultWriter& writer) { writer.finish(summary); });
  save_resume_state(!outcome.interrupted);
  progress_line(true);
  if (output_error_) std::rethrow_exception(output_error_);
  return outcome;
}

}  // namespace

ScanOutcome run_scan(const ScanPlan& plan, std::vector<std::unique_ptr<output::ResultWriter>>& writers,
                     const std::atomic<int>& interrupts) {
  Scan scan(plan, writers, interrupts);
  return scan.run();
}

}  // namespace synscan::scanner
