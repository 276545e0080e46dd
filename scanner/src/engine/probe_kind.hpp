#pragma once
// The closed set of probe kinds. Each kind is one header (probe_<kind>.hpp) with:
//   - its frame template, built once with libnet at setup, and write(): the probe to one
//     target port, with the kind's cookie where the kind keeps it;
//   - bpf_clause(): the capture filter for its direct replies;
//   - classify() / classify_icmp(): a reply (or an ICMP error quoting a probe) -> Verdict.
// ProbeSet (probes.hpp) dispatches by switch on ProbeKind: no virtual call, allocation or lock
// per packet. Adding a kind: its header, a ProbeKind value, its member and case in ProbeSet.
#include <cstdint>

#include "output/result.hpp"

namespace synscan::scanner::engine {

enum class ProbeKind : std::uint8_t { kTcpSyn, kUdp };

/// What a reply says: the probe it answers (target address and port) and why.
struct Verdict {
  std::uint32_t target = 0;
  std::uint16_t port = 0;
  output::Reason reason = output::Reason::kNoResponse;
};

enum class Classified : std::uint8_t {
  kOurs,        ///< answers one of our probes (cookie valid): the Verdict is filled in
  kNotOurs,     ///< not an answer to a probe of ours (wrong cookie, port, flags, quote)
  kUnexpected,  ///< a protocol no probe kind handles (the capture filter should not pass it)
};

}  // namespace synscan::scanner::engine
