#pragma once
/// Streaming writers: nmap XML (-oX), nmap greppable (-oG), JSON lines (-oJ).
///
/// Contract: every record a writer receives is written and flushed by the next `end_batch()` (the
/// host-record writers flush each record at once), so a reader (tail -f, a pipeline) sees whole
/// records as soon as the engine has produced them; `finish()` flushes, closes the document
/// well-formed and may be called at any point after `begin()` (also on interruption). Write
/// failures (EPIPE, ENOSPC) throw OutputError once; the engine stops the scan cleanly.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "output/result.hpp"

namespace synscan::output {

class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An output sink: a file opened for writing, or stdout for "-". Owns the FILE*.
class OutputFile {
 public:
  /// "-" = stdout (line buffered). Throws OutputError with the path when it cannot be opened.
  explicit OutputFile(const std::string& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  /// Writes all of `text`; throws OutputError (with strerror) on failure.
  void write(std::string_view text);
  /// fflush; throws OutputError on failure.
  void flush();
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  std::FILE* file_;
  bool owned_;
};

class ResultWriter {
 public:
  virtual ~ResultWriter() = default;
  virtual void begin(const ScanInfo& info) = 0;
  /// A single (host, port) result, as soon as it is final. Only JSON lines uses it.
  virtual void port_result(std::uint32_t address, const PortResult& result, std::time_t when) = 0;
  /// A whole host, once all its ports are final. Hosts that are not up are never passed.
  virtual void host(const HostResult& host) = 0;
  /// --banners: an open TCP port's record with what the service stage learned, once its host is
  /// complete (`fake_open` as in HostResult). Replaces port_result() for those ports; writers
  /// without per-port records ignore it.
  virtual void port_service(std::uint32_t address, const PortResult& result, const ServiceFacts& facts,
                            std::string_view fake_open, std::time_t when) {
    (void)facts;
    (void)fake_open;
    port_result(address, result, when);
  }
  /// The records passed since the last call were produced together (one output pass of the
  /// engine: a streaming sweep and the groups just finished): make them visible now. Lets a
  /// per-port stream leave in one write(2) per pass instead of one per line.
  virtual void end_batch() {}
  virtual void finish(const ScanSummary& summary) = 0;
};

enum class Format : std::uint8_t { kXml, kGreppable, kJsonLines };

/// The one registry of formats: -oX / -oG / -oJ and the -oA extensions.
struct FormatInfo {
  Format format;
  const char* option;      ///< "oX"
  const char* extension;   ///< ".xml"
};
inline constexpr FormatInfo kFormats[] = {
    {Format::kXml, "oX", ".xml"},
    {Format::kGreppable, "oG", ".gnmap"},
    {Format::kJsonLines, "oJ", ".jsonl"},
};

/// One output the user asked for: a format and where it goes.
struct OutputTarget {
  Format format;
  std::string path;  ///< "-" = stdout
};

/// The outputs nmap's output options name, in the order they are opened: every -oX path, every
/// -oG path, every -oJ path, then each -oA BASE as BASE.xml, BASE.gnmap, BASE.jsonl. Empty paths
/// (an option not given) are skipped. Used by the scan and by convert/merge.
[[nodiscard]] std::vector<OutputTarget> output_targets(const std::vector<std::string>& xml,
                                                       const std::vector<std::string>& greppable,
                                                       const std::vector<std::string>& json,
                                                       const std::vector<std::string>& all);

std::unique_ptr<ResultWriter> make_writer(Format format, std::unique_ptr<OutputFile> file);

/// The service name a writer prints for a port ("" when unknown). The returned view must stay
/// valid for the writer's lifetime. Lets a caller use a services file the user named explicitly,
/// and lets tests feed names nmap tooling must cope with (a '/' in a name).
using ServiceLookup = std::function<std::string_view(Protocol, std::uint16_t)>;
/// As above, with the service names taken from `lookup` instead of service_name_view().
std::unique_ptr<ResultWriter> make_writer(Format format, std::unique_ptr<OutputFile> file,
                                          ServiceLookup lookup);

/// nmap's collapse rule (portlist.cc, verbosity 0): a state other than open with more than this
/// many ports on one host is not listed port by port but summarised (XML <extraports>, greppable
/// "Ignored State"). With --open, closed and filtered are always summarised.
inline constexpr std::size_t kMaxListedPortsPerState = 25;

/// Service name for a port: the built-in licence-clean table first, then /etc/services
/// (getservbyport_r, loaded once). Empty string when unknown.
[[nodiscard]] std::string service_name(Protocol protocol, std::uint16_t port);
/// The same name without a copy: views static storage that lives until the program exits.
[[nodiscard]] std::string_view service_name_view(Protocol protocol, std::uint16_t port) noexcept;

}  // namespace synscan::output

namespace synscan::output {

/// --services-file: service names from an nmap-services-format file the user names explicitly
/// (`name port/proto [frequency] [# comment]`), falling back to service_name_view() for ports the
/// file does not list. Throws OutputError naming file:line on a malformed line.
ServiceLookup load_services_file(const std::string& path);

}  // namespace synscan::output
