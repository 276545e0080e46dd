#include "scanner/resume.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sstream>

#include "resume_file.hpp"
#include "scanner/errors.hpp"
#include "scanner/options.hpp"
#include "scanner/scan_order.hpp"

namespace synscan::scanner {
namespace {

// Version 4: the settings as the option table's NAME VALUE lines (version 3 had its own keys);
// version 3 added a checksum over the whole file and in-flight groups as runs. Version 2 files (no
// checksum) and version 1 (other group cuts) are refused with one line.
constexpr const char* kMagic = "synscan-resume 4";
constexpr std::string_view kMagicPrefix = "synscan-resume ";
// State-table entry bits 10..15 (scanner/state_table.hpp): the slot generation, which
// restore_entry replaces with the new slot's.
constexpr std::uint32_t kGenerationBits = std::uint32_t{0x3F} << 10;

std::uint64_t fnv1a(std::uint64_t hash, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 0x100000001b3ull;
  return hash;
}
constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
template <typename Value>
std::uint64_t mix(std::uint64_t hash, const Value& value) {
  return fnv1a(hash, &value, sizeof value);
}

// The scan settings: every option the table marks kStored, in its command-line syntax.
void write_settings(std::ostringstream& out, const ScanPlan& plan) {
  for (const OptionSpec& option : option_table()) {
    if (option.resume != ResumePolicy::kStored || option.format == nullptr) continue;
    const std::optional<std::string> value = option.format(plan);
    if (!value) continue;
    out << option.name;
    if (!value->empty()) out << ' ' << *value;
    out << '\n';
  }
}

void write_groups(std::ostringstream& out, const ResumeState& state) {
  char word[40];
  for (const auto& [group, saved] : state.in_flight) {
    out << "group " << group << ' ' << saved.size();
    std::uint64_t begin = 0;
    for (const SavedGroup::Run& run : saved.runs()) {
      const std::uint64_t count = run.end - begin;
      begin = run.end;
      if (count == 1) {
        std::snprintf(word, sizeof word, " %x", run.value);
      } else {
        std::snprintf(word, sizeof word, " %x*%llu", run.value, static_cast<unsigned long long>(count));
      }
      out << word;
    }
    out << '\n';
  }
}

// Reads one resume file's lines into a plan and a state, validating every size against the plan
// before anything is allocated for it.
class Reader {
 public:
  Reader(const std::string& name, OptionValues& values) : name_(name), values_(values), plan_(values.plan) {}

  ResumeState read(std::string_view body);

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw UsageError(name_ + ":" + std::to_string(line_number_) + ": " + why);
  }
  template <typename Number>
  Number number(std::string_view text, int base = 10) const {
    Number value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (error != std::errc() || end != text.data() + text.size()) {
      fail("bad number '" + std::string(text.substr(0, 40)) + "'");
    }
    return value;
  }
  bool read_setting(const std::string& key, const std::string& rest);
  bool read_progress(const std::string& key, const std::string& rest);
  void read_group(const std::string& rest);
  const ScanOrder& order();

  void resolve_settings();

  const std::string& name_;
  OptionValues& values_;
  ScanPlan& plan_;
  bool settings_resolved_ = false;
  ResumeState state_;
  int line_number_ = 0;
  bool have_fingerprint_ = false;
  std::optional<ScanOrder> order_;
};

bool Reader::read_setting(const std::string& key, const std::string& rest) {
  if (key == "command") {
    plan_.command_line = rest;
    return true;
  }
  const OptionSpec* option = find_option(key);
  if (option == nullptr || option->name != key) return false;
  if (option->resume != ResumePolicy::kStored) fail("'" + key + "' is not a saved setting");
  if (settings_resolved_) fail("setting '" + key + "' after the progress it decides");
  if (option->kind == OptionKind::kFlag && !rest.empty()) fail("'" + key + "' takes no value");
  option->parse(rest, values_);
  return true;
}

// The saved settings become the plan (same checks as the command line's) before any progress
// line is read against it.
void Reader::resolve_settings() {
  if (settings_resolved_) return;
  settings_resolved_ = true;
  values_.targets_resolved = true;
  resolve_plan(values_, [](const std::string&) { return std::vector<std::uint32_t>{}; });
}

// The group arithmetic of the saved plan; needs targets, ports and hosts-per-group first.
const ScanOrder& Reader::order() {
  if (!order_) {
    if (!settings_resolved_ || state_.hosts_per_group == 0) {
      fail("progress before the hosts-per-group it refers to");
    }
    order_.emplace(plan_.targets.size(), static_cast<std::uint32_t>(plan_.ports.size()),
                   state_.hosts_per_group, plan_.seed, plan_.shard);
  }
  return *order_;
}

bool Reader::read_progress(const std::string& key, const std::string& rest) {
  if (key == "status") {
    if (rest != "complete" && rest != "interrupted") fail("bad status '" + rest + "'");
    state_.complete = rest == "complete";
  } else if (key == "hosts-per-group") {
    resolve_settings();
    state_.hosts_per_group = number<std::uint32_t>(rest);
    const auto probes = static_cast<std::uint32_t>(plan_.ports.size());
    // No more than the planner could have chosen for this plan at any rate.
    if (state_.hosts_per_group == 0 || plan_.targets.empty() || probes == 0 ||
        state_.hosts_per_group > choose_hosts_per_group(plan_.targets.size(), probes, 1e18)) {
      fail("hosts-per-group " + rest + " does not fit the saved targets and ports");
    }
  } else if (key == "fingerprint") {
    state_.fingerprint = number<std::uint64_t>(rest, 16);
    have_fingerprint_ = true;
  } else if (key == "done-below") {
    state_.done_below = number<std::uint64_t>(rest);
    if (state_.done_below > order().group_count()) fail("done-below is past the last group");
  } else if (key == "done") {
    std::istringstream parse(rest);
    std::string word;
    while (parse >> word) {
      const auto group = number<std::uint64_t>(word);
      if (group >= order().group_count()) fail("done group " + word + " is past the last group");
      state_.done_above.push_back(group);
    }
    std::sort(state_.done_above.begin(), state_.done_above.end());
  } else {
    return false;
  }
  return true;
}

void Reader::read_group(const std::string& rest) {
  std::istringstream parse(rest);
  std::string group_text, count_text, word;
  if (!(parse >> group_text >> count_text)) fail("bad group line");
  const auto group = number<std::uint64_t>(group_text);
  const auto count = number<std::uint64_t>(count_text);
  if (group >= order().group_count()) fail("group " + group_text + " is past the last group");
  // Checked before anything is held for the group: its entry count is the plan's, exactly.
  if (count != order().entries_in_group(group)) {
    fail("group " + group_text + " claims " + count_text + " entries; the plan gives it " +
         std::to_string(order().entries_in_group(group)));
  }
  if (state_.saved_entries(group) != nullptr) fail("group " + group_text + " saved twice");
  SavedGroup saved;
  while (parse >> word) {
    const std::size_t star = word.find('*');
    const auto value = number<std::uint32_t>(std::string_view(word).substr(0, star), 16);
    const std::uint64_t run =
        star == std::string::npos ? 1 : number<std::uint64_t>(std::string_view(word).substr(star + 1));
    if (run == 0 || run > count - saved.size()) fail("group " + group_text + " holds more entries than it claims");
    saved.append(value, run);
  }
  if (saved.size() != count) fail("group " + group_text + " is truncated");
  state_.in_flight.emplace_back(group, std::move(saved));
}

ResumeState Reader::read(std::string_view body) {
  while (!body.empty()) {
    const std::size_t newline = body.find('\n');
    const std::string line(body.substr(0, newline));
    body.remove_prefix(newline == std::string_view::npos ? body.size() : newline + 1);
    ++line_number_;
    if (line_number_ == 1) {
      if (line == kMagic) continue;
      if (line.rfind(kMagicPrefix, 0) == 0) {
        fail("resume file format '" + line + "' is from another synscan version (this one reads '" + kMagic + "')");
      }
      fail("not a synscan resume file");
    }
    const std::size_t space = line.find(' ');
    const std::string key = line.substr(0, space);
    const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    if (key == "group") {
      read_group(rest);
      continue;
    }
    try {
      if (!read_setting(key, rest) && !read_progress(key, rest)) fail("unknown key '" + key + "'");
    } catch (const UsageError& error) {
      if (std::string_view(error.what()).rfind(name_ + ":", 0) == 0) throw;
      fail(error.what());
    }
  }
  if (!have_fingerprint_ || state_.hosts_per_group == 0) throw UsageError(name_ + ": no fingerprint");
  if (plan_fingerprint(plan_, state_.hosts_per_group) != state_.fingerprint) {
    throw UsageError(name_ + ": the saved scan plan does not match its fingerprint (edited or corrupt)");
  }
  return std::move(state_);
}

std::string checksum_line(std::string_view body) {
  char line[40];
  std::snprintf(line, sizeof line, "end %016llx\n",
                static_cast<unsigned long long>(fnv1a(kFnvOffset, body.data(), body.size())));
  return line;
}

}  // namespace

SavedGroup::SavedGroup(const std::vector<std::uint32_t>& entries) {
  for (std::uint32_t entry : entries) append(entry, 1);
}

void SavedGroup::append(std::uint32_t value, std::uint64_t count) {
  if (count == 0) return;
  value &= ~kGenerationBits;
  const auto end = static_cast<std::uint32_t>(size() + count);
  if (!runs_.empty() && runs_.back().value == value) {
    runs_.back().end = end;
  } else {
    runs_.push_back({end, value});
  }
}

std::uint32_t SavedGroup::operator[](std::uint64_t index) const noexcept {
  const auto run = std::upper_bound(runs_.begin(), runs_.end(), index,
                                    [](std::uint64_t wanted, const Run& r) { return wanted < r.end; });
  return run == runs_.end() ? 0 : run->value;
}

std::vector<std::uint32_t> SavedGroup::expand() const {
  std::vector<std::uint32_t> entries;
  entries.reserve(size());
  for (const Run& run : runs_) entries.resize(run.end, run.value);
  return entries;
}

bool ResumeState::group_done(std::uint64_t group) const noexcept {
  return group < done_below || std::binary_search(done_above.begin(), done_above.end(), group);
}

const SavedGroup* ResumeState::saved_entries(std::uint64_t group) const noexcept {
  for (const auto& [saved_group, entries] : in_flight) {
    if (saved_group == group) return &entries;
  }
  return nullptr;
}

void ResumeState::settle(const ResumeState* previous, std::uint64_t group_count, bool scan_finished) {
  if (previous) {
    done_above.insert(done_above.end(), previous->done_above.begin(), previous->done_above.end());
    done_below = std::max(done_below, previous->done_below);
  }
  std::sort(done_above.begin(), done_above.end());
  done_above.erase(std::unique(done_above.begin(), done_above.end()), done_above.end());
  auto first_kept = done_above.begin();
  while (first_kept != done_above.end() && *first_kept <= done_below) {
    if (*first_kept == done_below) ++done_below;
    ++first_kept;
  }
  done_above.erase(done_above.begin(), first_kept);
  if (previous) {
    // A group saved by the previous run and not reached by this one keeps its saved entries:
    // restarting it would resend answered probes and repeat their records.
    for (const auto& [group, saved] : previous->in_flight) {
      if (!group_done(group) && saved_entries(group) == nullptr) in_flight.emplace_back(group, saved);
    }
  }
  // A signal that arrived after the last group was written leaves nothing to resume.
  complete = scan_finished || (in_flight.empty() && done_below >= group_count);
}

std::uint64_t plan_fingerprint(const ScanPlan& plan, std::uint32_t hosts_per_group) {
  std::uint64_t hash = kFnvOffset;
  for (const AddressRange& range : plan.targets.ranges()) hash = mix(mix(hash, range.first), range.last);
  for (const Ipv6Range& range : plan.targets.ipv6_ranges()) {
    for (const net::Ipv6Address* address : {&range.first, &range.last}) {
      const net::Uint128 value = address->to_integer();
      hash = mix(mix(hash, static_cast<std::uint64_t>(value >> 64)), static_cast<std::uint64_t>(value));
    }
  }
  hash = mix(hash, plan.ports.tcp.size());
  for (std::uint16_t port : plan.ports.tcp) hash = mix(hash, port);
  hash = mix(hash, plan.ports.udp.size());
  for (std::uint16_t port : plan.ports.udp) hash = mix(hash, port);
  hash = mix(mix(mix(hash, plan.seed), plan.shard.index), plan.shard.count);
  return mix(hash, hosts_per_group);
}

std::string format_resume_file(const ScanPlan& plan, const ResumeState& state) {
  std::ostringstream out;
  out << kMagic << '\n';
  out << "status " << (state.complete ? "complete" : "interrupted") << '\n';
  out << "command " << plan.command_line << '\n';
  write_settings(out, plan);
  out << "hosts-per-group " << state.hosts_per_group << '\n';
  out << "fingerprint " << std::hex << state.fingerprint << std::dec << '\n';
  out << "done-below " << state.done_below << '\n';
  out << "done";
  for (std::uint64_t group : state.done_above) out << ' ' << group;
  out << '\n';
  write_groups(out, state);
  std::string text = out.str();
  text += checksum_line(text);
  return text;
}

ResumeState parse_resume_file(std::string_view text, const std::string& name, OptionValues& values) {
  // The last line is "end CHECKSUM" over everything before it: a truncated file has no such
  // line, an edited or damaged one fails the sum; both are refused before any line is trusted.
  const std::size_t last = text.size() >= 2 ? text.rfind('\n', text.size() - 2) : std::string_view::npos;
  const std::string_view end_line = last == std::string_view::npos ? text : text.substr(last + 1);
  if (end_line.rfind("end ", 0) != 0 || text.back() != '\n') {
    if (text.rfind(kMagicPrefix, 0) == 0 && text.rfind(kMagic, 0) != 0) {
      throw UsageError(name + ":1: resume file format '" + std::string(text.substr(0, text.find('\n'))) +
                       "' is from another synscan version (this one reads '" + kMagic + "')");
    }
    if (text.rfind(kMagicPrefix, 0) != 0) throw UsageError(name + ":1: not a synscan resume file");
    throw UsageError(name + ": truncated resume file (no 'end' line)");
  }
  const std::string_view body = text.substr(0, last + 1);
  if (checksum_line(body) != end_line) {
    throw UsageError(name + ": checksum mismatch: the file was edited or damaged; it cannot be resumed");
  }
  return Reader(name, values).read(body);
}

ResumeState read_resume_file(const std::string& path, OptionValues& values) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat status {};
  if (!fd.valid() || ::fstat(fd.get(), &status) != 0) {
    throw UsageError("cannot read resume file '" + path + "': " + std::strerror(errno));
  }
  if (!S_ISREG(status.st_mode) || static_cast<std::uint64_t>(status.st_size) > kMaxResumeFileBytes) {
    throw UsageError(path + ": not a synscan resume file (not a regular file of at most " +
                     std::to_string(kMaxResumeFileBytes >> 20) + " MiB)");
  }
  std::string text(static_cast<std::size_t>(status.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t count = ::read(fd.get(), text.data() + got, text.size() - got);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) throw UsageError("cannot read resume file '" + path + "': " + std::strerror(errno));
    got += static_cast<std::size_t>(count);
  }
  if (text.empty()) throw UsageError(path + ": empty resume file (the scan wrote no state)");
  return parse_resume_file(text, path, values);
}

ResumeState read_resume_file(const std::string& path, ScanPlan& plan) {
  OptionValues values;
  ResumeState state = read_resume_file(path, values);
  plan = std::move(values.plan);
  return state;
}

// --- ResumeFile -----------------------------------------------------------------------------

namespace {

void write_all(int fd, const std::string& text, const std::string& path) {
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t count = ::write(fd, text.data() + written, text.size() - written);
    if (count < 0) {
      if (errno == EINTR) continue;
      throw RuntimeError("cannot write resume file " + path + ": " + std::strerror(errno));
    }
    written += static_cast<std::size_t>(count);
  }
  if (::fsync(fd) != 0) throw RuntimeError("cannot write resume file " + path + ": " + std::strerror(errno));
}

std::string directory_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool permission_error(int error) { return error == EACCES || error == EPERM || error == EROFS; }

}  // namespace

std::string ResumeFile::choose_path(const ScanPlan& plan, std::string* reason) {
  if (!plan.resume_file.empty()) return plan.resume_file;
  for (const output::OutputTarget& request : plan.outputs) {
    if (request.path == "-") continue;
    struct stat status {};
    // The writers have opened their files by now; a device, pipe or socket gets no neighbour
    // (-oJ /dev/null must not make root write into /dev).
    if (::stat(request.path.c_str(), &status) == 0 && S_ISREG(status.st_mode)) return request.path + ".resume";
    if (reason) *reason = request.path + " is not a regular file";
    return "synscan.resume";
  }
  return "";  // only stdout outputs: nowhere the user would look for a file they did not ask for
}

ResumeFile ResumeFile::open(const ScanPlan& plan) {
  std::string reason;
  std::string path = choose_path(plan, &reason);
  if (path.empty()) return {};
  if (!reason.empty() && plan.progress) {
    std::fprintf(stderr, "synscan: resume state goes to ./%s (%s)\n", path.c_str(), reason.c_str());
  }
  // O_NONBLOCK: opening a FIFO for writing must not wait for a reader; it is refused below.
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    spdlog::warn("cannot create resume file {}: {}; an interrupted scan will not be resumable", path,
                 std::strerror(errno));
    return {};
  }
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0 || !S_ISREG(status.st_mode)) {
    // Renaming a file over a device (--resume-file /dev/null) would replace the device.
    spdlog::warn("resume file {} is not a regular file; an interrupted scan will not be resumable", path);
    return {};
  }
  return ResumeFile(std::move(path), std::move(fd));
}

bool ResumeFile::save_by_rename(const std::string& text) {
  const std::string temporary = path_ + ".tmp";
  Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    if (permission_error(errno)) return false;
    throw RuntimeError("cannot write resume file " + temporary + ": " + std::strerror(errno));
  }
  try {
    write_all(fd.get(), text, temporary);
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  if (::rename(temporary.c_str(), path_.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    if (permission_error(error)) return false;  // e.g. a sticky directory and a file root created
    throw RuntimeError("cannot replace resume file " + path_ + ": " + std::strerror(error));
  }
  const Fd directory(::open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.valid()) (void)::fsync(directory.get());  // the rename itself survives a crash
  fd_.reset();  // names the replaced file now
  return true;
}

void ResumeFile::save_in_place(const std::string& text) {
  if (::ftruncate(fd_.get(), 0) != 0 || ::lseek(fd_.get(), 0, SEEK_SET) != 0) {
    throw RuntimeError("cannot write resume file " + path_ + ": " + std::strerror(errno));
  }
  write_all(fd_.get(), text, path_);
}

void ResumeFile::save(const std::string& text) {
  if (save_by_rename(text)) return;
  if (!fd_.valid()) throw RuntimeError("cannot write resume file " + path_ + ": its directory is not writable");
  spdlog::info("the directory of {} is not writable after the privilege drop: rewriting it in place", path_);
  save_in_place(text);
}

}  // namespace synscan::scanner
