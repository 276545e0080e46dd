#!/usr/bin/env python3
"""synscan's network-namespace test lab (stdlib only; needs root).

Topology for lab id ID (all names <= 15 characters, all addresses in 198.18.0.0/15):

    ssS<ID> (scanner)                         ssT<ID> (target)
    ssvS<ID> 198.19.X.1/24  <--- veth --->   ssvT<ID> 198.19.X.2/24
    default via 198.19.X.2                    local <prefix> dev lo   (answers every address)
                                              python3 listeners on LISTEN_PORTS (0.0.0.0)
                                              DNS (udp/53) and NTP (udp/123) answerers (0.0.0.0,
                                              replying from the probed address via IP_PKTINFO)
                                              other udp ports: the kernel's ICMP port unreachable
                                              nft table inet synlab<ID>: the RULES below

The ground truth is a pure function of (address, port): `truth()`. The nft ruleset is generated
from the same RULES table (`nft_ruleset()`), first match wins in both, so the two cannot drift.

Nothing here touches the root namespace's interfaces, routes or sysctls: links are created
directly inside the lab namespaces and sysctls are written only from inside them (and only when
the key exists per namespace).
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from typing import Iterable, Iterator, NamedTuple, Optional

# ----------------------------------------------------------------------------------------------
# Ground truth
# ----------------------------------------------------------------------------------------------

DEFAULT_PREFIX = "198.18.0.0/16"
DEFAULT_PORTS = (22, 25, 80, 443, 8080)
DEFAULT_UDP_PORTS = (53, 123, 161, 9999)
LISTEN_PORTS = (22, 80, 443)          # real listeners in the target namespace
UDP_LISTEN_PORTS = (53, 123)          # DNS and NTP answerers in the target namespace (0.0.0.0)
REPLY_TTL = 64                        # one hop over a veth, nothing forwards: the sender's TTL


class Rule(NamedTuple):
    """A destination-address mask rule: (addr & mask) == value [and <proto> dport == port] -> action."""
    mask: int
    value: int
    port: Optional[int]       # None = every port (and every protocol)
    action: str               # drop | admin-prohibited | host-unreach | reset (tcp only)
    comment: str
    proto: str = "tcp"        # protocol of `port` (ignored when port is None)


def _m(dotted: str) -> int:
    return int(ipaddress.IPv4Address(dotted))


# Order matters: the first matching rule decides (nft rules with terminal verdicts).
RULES: tuple[Rule, ...] = (
    Rule(_m("0.0.15.0"), _m("0.0.15.0"), None, "drop", "dark host: o2 % 16 == 15"),
    Rule(_m("0.0.0.3"), _m("0.0.0.1"), 80, "drop", "80 filtered/no-response: o3 % 4 == 1"),
    Rule(_m("0.0.0.3"), _m("0.0.0.2"), 443, "admin-prohibited", "443 admin-prohibited: o3 % 4 == 2"),
    Rule(_m("0.0.0.3"), _m("0.0.0.3"), 443, "reset", "443 closed/reset (listening): o3 % 4 == 3"),
    Rule(_m("0.0.0.7"), _m("0.0.0.5"), 25, "host-unreach", "25 host-unreach: o3 % 8 == 5"),
    Rule(_m("0.0.0.1"), _m("0.0.0.0"), 8080, "drop", "8080 filtered/no-response: o3 % 2 == 0"),
    # UDP (-sU): answered ports are open/udp-response, ports without a listener closed/port-unreach
    Rule(_m("0.0.0.3"), _m("0.0.0.1"), 53, "drop", "udp 53 open|filtered/no-response: o3 % 4 == 1", "udp"),
    Rule(_m("0.0.0.3"), _m("0.0.0.2"), 123, "admin-prohibited", "udp 123 admin-prohibited: o3 % 4 == 2", "udp"),
    Rule(_m("0.0.0.3"), _m("0.0.0.3"), 161, "drop", "udp 161 open|filtered/no-response: o3 % 4 == 3", "udp"),
    Rule(_m("0.0.0.7"), _m("0.0.0.5"), 9999, "host-unreach", "udp 9999 host-unreach: o3 % 8 == 5", "udp"),
    Rule(_m("0.0.0.7"), _m("0.0.0.6"), 53, "admin-prohibited", "udp 53 admin-prohibited: o3 % 8 == 6", "udp"),
)

# action -> (state, reason, replies?)
_ACTION_RESULT = {
    "drop": ("filtered", "no-response", False),
    "admin-prohibited": ("filtered", "admin-prohibited", True),
    "host-unreach": ("filtered", "host-unreach", True),
    "reset": ("closed", "reset", True),
}
_NFT_VERDICT = {
    "drop": "drop",
    "admin-prohibited": "reject with icmp type admin-prohibited",
    "host-unreach": "reject with icmp type host-unreachable",
    "reset": "reject with tcp reset",
}

# nmap-services names (8080 is "http-alt" in /etc/services; either is accepted)
SERVICES = {22: {"ssh"}, 25: {"smtp"}, 80: {"http"}, 443: {"https"}, 8080: {"http-proxy", "http-alt"}}
UDP_SERVICES = {53: {"domain"}, 123: {"ntp"}, 161: {"snmp"}}


class Expect(NamedTuple):
    state: str
    reason: str
    ttl: int


def truth(address, port: int, proto: str = "tcp") -> Expect:
    """What a correct SYN (proto tcp) or UDP (proto udp) scan reports for (address, port), with
    nmap's semantics. Pure; address may be str/int/IPv4Address."""
    if proto not in ("tcp", "udp"):
        raise ValueError(f"the lab's truth covers tcp and udp, not {proto!r}")
    a = int(ipaddress.IPv4Address(address))
    for rule in RULES:
        if (a & rule.mask) == rule.value and (rule.port is None or (rule.port == port and rule.proto == proto)):
            state, reason, replies = _ACTION_RESULT[rule.action]
            if proto == "udp" and rule.action == "drop":
                state = "open|filtered"
            elif proto == "udp" and rule.action == "reset":
                raise ValueError("a reset rule cannot apply to udp")
            return Expect(state, reason, REPLY_TTL if replies else 0)
    if proto == "udp":
        if port in UDP_LISTEN_PORTS:
            return Expect("open", "udp-response", REPLY_TTL)
        return Expect("closed", "port-unreach", REPLY_TTL)   # the target kernel's ICMP 3/3
    if port in LISTEN_PORTS:
        return Expect("open", "syn-ack", REPLY_TTL)
    return Expect("closed", "reset", REPLY_TTL)


def host_up(address) -> bool:
    """A host is up when any probe got a reply; dark hosts never reply."""
    a = int(ipaddress.IPv4Address(address))
    return not any(r.port is None and (a & r.mask) == r.value and r.action == "drop" for r in RULES)


def host_up_for_ports(address, ports: Iterable) -> bool:
    """ports: ints (tcp) or (proto, port) pairs."""
    return any(truth(address, *_pp(p)).reason != "no-response" for p in ports)


def _pp(p) -> tuple[int, str]:
    """int -> (port, 'tcp'); (proto, port) -> (port, proto)."""
    if isinstance(p, tuple):
        return p[1], p[0]
    return int(p), "tcp"


def expand_targets(specs: Iterable[str]) -> list[ipaddress.IPv4Address]:
    """CIDRs / single addresses (comma or whitespace separated) -> sorted unique addresses."""
    seen = set()
    for spec in specs:
        for item in re.split(r"[,\s]+", spec.strip()):
            if not item:
                continue
            net = ipaddress.IPv4Network(item, strict=False)
            # every address of the block, like nmap (network and broadcast included)
            for i in range(int(net.network_address), int(net.broadcast_address) + 1):
                seen.add(i)
    return [ipaddress.IPv4Address(i) for i in sorted(seen)]


def parse_port_spec(spec, protos=("tcp",)) -> list[tuple[str, int]]:
    """synscan's/nmap's -p syntax with T:/U: prefixes -> sorted [(proto, port)], TCP first.
    Ports without a prefix belong to every protocol scanned (nmap); prefixed ones to their protocol
    only, and only when that protocol is scanned."""
    if isinstance(spec, (list, tuple)) and all(isinstance(x, tuple) for x in spec):
        return sorted(set(spec), key=lambda pp: (pp[0] != "tcp", pp[1]))
    out = set()
    current = None
    for item in str(spec).replace(" ", "").split(","):
        if not item:
            continue
        m = re.match(r"^([TUtu]):(.*)$", item)
        if m:
            current = "tcp" if m.group(1).upper() == "T" else "udp"
            item = m.group(2)
            if not item:
                continue
        for port in parse_ports(item):
            for proto in ([current] if current else protos):
                if proto in protos:
                    out.add((proto, port))
    return sorted(out, key=lambda pp: (pp[0] != "tcp", pp[1]))


def parse_ports(spec) -> list[int]:
    if isinstance(spec, (list, tuple)):
        return sorted(set(int(p) for p in spec))
    out = set()
    for item in str(spec).split(","):
        item = item.strip()
        if not item:
            continue
        if "-" in item:
            lo, hi = item.split("-", 1)
            out.update(range(int(lo), int(hi) + 1))
        else:
            out.add(int(item))
    return sorted(out)


# ----------------------------------------------------------------------------------------------
# nft ruleset (generated from RULES)
# ----------------------------------------------------------------------------------------------

_PROTO_NUMBERS = {"tcp": 6, "udp": 17}


def _dotted(i: int) -> str:
    return str(ipaddress.IPv4Address(i))


def nft_ruleset(table: str, prefix: str, loss: int = 0) -> str:
    net = ipaddress.IPv4Network(prefix, strict=False)
    lines = [f"table inet {table} {{",
             "  chain input {",
             "    type filter hook input priority 0; policy accept;",
             # one counter of everything the scanner sends into the prefix (tests read it)
             f"    ip daddr {net} counter comment \"probes\""]
    for rule in RULES:
        match = f"ip daddr {net} ip daddr & {_dotted(rule.mask)} == {_dotted(rule.value)}"
        if rule.port is not None:
            match += f" {rule.proto} dport {rule.port}"
        lines.append(f"    {match} counter {_NFT_VERDICT[rule.action]} comment \"{rule.comment}\"")
    lines.append("  }")
    lines += _loss_chains(net, loss)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _loss_chains(net: ipaddress.IPv4Network, loss: int) -> list[str]:
    """Random loss both ways, and a record of what got through: after the output drop, every
    reply that left is added to a set, so a test knows exactly which pairs had at least one reply
    delivered (Lab.delivered_replies()). TCP/UDP replies by (protocol, address, source port);
    ICMP destination-unreachable by its quoted probe (protocol @th,136,8, destination
    @th,192,32 and destination port @th,240,16: ICMP header 8 bytes, then the probe's 20-byte IP
    header)."""
    if not loss:
        return []
    return ["  set delivered {",
            "    typeof meta l4proto . ip saddr . th sport; flags dynamic; size 4194304;",
            "  }",
            "  set delivered_icmp {",
            "    typeof @th,136,8 . @th,192,32 . @th,240,16; flags dynamic; size 4194304;",
            "  }",
            "  chain prerouting {",
            "    type filter hook prerouting priority -300; policy accept;",
            f"    ip daddr {net} numgen random mod 100 < {int(loss)} counter drop comment \"loss in\"",
            "  }",
            "  chain output {",
            "    type filter hook output priority -300; policy accept;",
            f"    ip saddr {net} numgen random mod 100 < {int(loss)} counter drop comment \"loss out\"",
            f"    ip saddr {net} meta l4proto {{ tcp, udp }} add @delivered {{ meta l4proto . ip saddr . th sport }}",
            "    icmp type destination-unreachable "
            "add @delivered_icmp { @th,136,8 . @th,192,32 . @th,240,16 }",
            "  }"]


# The stateful device (issue 13): a connection-tracking table of `size` entries in front of the
# prefix, emulated in the target namespace's prerouting hook (before the RULES, as a firewall in
# the path would be). Every TCP/UDP packet to the prefix is looked up by its 5-tuple in a bounded
# dynamic set: a known flow passes; a new one is added, or dropped when the set is full (nft's
# `add @set` does not match when the set holds `size` elements, so the next rule drops). Entries
# expire `timeout_ms` after they were added (a retry of the same tuple does not refresh them) and
# are removed by the set's garbage collection every `gc_ms`. The table therefore carries about
# size / (timeout + gc/2) new flows a second: 30,000 / 1.05 s ~ 28.5k. The scanner's own RST to a
# SYN-ACK has the probe's tuple and passes while its entry lives. Replies are not gated (they
# leave through output, and a real device keeps them on the probe's entry).
CONNTRACK_DEFAULT = (30000, 1000)   # (entries, entry lifetime in ms)
CONNTRACK_GC_MS = 100


def nft_conntrack_ruleset(table: str, prefix: str, size: int, timeout_ms: int) -> str:
    net = ipaddress.IPv4Network(prefix, strict=False)
    key = "ip saddr . ip daddr . meta l4proto . th sport . th dport"
    return "\n".join([
        f"table inet {table} {{",
        "  set flows {",
        f"    typeof {key}; size {int(size)}; flags dynamic,timeout;",
        f"    timeout {int(timeout_ms)}ms; gc-interval {CONNTRACK_GC_MS}ms;",
        "  }",
        "  chain conntrack {",
        "    type filter hook prerouting priority -250; policy accept;",
        f"    ip daddr {net} meta l4proto {{ tcp, udp }} add @flows {{ {key} }} counter accept "
        "comment \"tracked\"",
        f"    ip daddr {net} meta l4proto {{ tcp, udp }} counter drop comment \"table full\"",
        "  }",
        "}"]) + "\n"


def nft_loss_ruleset(table: str, prefix: str, loss: int) -> str:
    """Adds only the loss chains to an existing table (loaded after the lab's self-check, whose single
    probes must not be lost)."""
    net = ipaddress.IPv4Network(prefix, strict=False)
    return "\n".join([f"table inet {table} {{", *_loss_chains(net, loss), "}"]) + "\n"


# ----------------------------------------------------------------------------------------------
# The listener that runs inside the target namespace
# ----------------------------------------------------------------------------------------------

LISTENER_CODE = r"""
import os, selectors, socket, struct, sys, time
tcp_ports = [int(p) for p in sys.argv[1].split(",") if p]
udp_ports = [int(p) for p in (sys.argv[2] if len(sys.argv) > 2 else "").split(",") if p]
IP_PKTINFO = 8

def dns_reply(q):
    # RFC 1035: echo the id and the question, QR=1, RD copied, RA=1, one TXT answer "synlab"
    if len(q) < 12:
        return None
    qd = struct.unpack("!H", q[4:6])[0]
    end = 12
    if qd >= 1:
        while end < len(q) and q[end] != 0:
            if q[end] & 0xC0:
                return None
            end += q[end] + 1
        end += 5
    if qd < 1 or end > len(q):
        return q[0:2] + struct.pack("!HHHHH", 0x8001 | (q[2] & 1) << 8, 0, 0, 0, 0)  # FORMERR
    question = q[12:end]
    qclass = q[end - 2:end]
    answer = b"\xc0\x0c" + b"\x00\x10" + qclass + struct.pack("!IH", 0, 7) + b"\x06synlab"
    return q[0:2] + struct.pack("!HHHHH", 0x8080 | (q[2] & 1) << 8, 1, 1, 0, 0) + question + answer

def ntp_timestamp():
    t = time.time() + 2208988800
    return struct.pack("!II", int(t) & 0xFFFFFFFF, int((t % 1) * 2**32) & 0xFFFFFFFF)

def ntp_reply(q):
    # RFC 5905 server reply: origin timestamp (24..31) = the request's transmit timestamp (40..47)
    if len(q) < 48:
        return None
    version = q[0] & 0x38 or 0x20
    now = ntp_timestamp()
    return (bytes([version | 4, 2, q[2], 0xEC]) + b"\x00" * 8 + b"LAB\x00" + now
            + q[40:48] + now + now)

def serve_udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    s.bind(("0.0.0.0", port))
    make = dns_reply if port == 53 else ntp_reply if port == 123 else (lambda q: b"synlab\n")
    return s, make

udp = [serve_udp(p) for p in udp_ports]
tcp = []
for p in tcp_ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", p))
    s.listen(65535)
    s.setblocking(False)
    tcp.append(s)
print("ready", flush=True)
sys.stdout.close()
# one process per UDP socket (both cores), the TCP acceptor in the parent
for s, make in udp:
    if os.fork() == 0:
        while True:
            data, anc, _flags, peer = s.recvmsg(2048, 256)
            local = None
            for level, kind, value in anc:
                if level == socket.IPPROTO_IP and kind == IP_PKTINFO:
                    local = value[8:12]          # in_pktinfo.ipi_addr: the probed address
            reply = make(data)
            if reply is None or local is None:
                continue
            try:  # reply from the probed address, not from the veth address
                s.sendmsg([reply], [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack("=i4s4s", 0, local, bytes(4)))], 0, peer)
            except OSError:
                pass
sel = selectors.DefaultSelector()
for s in tcp:
    sel.register(s, selectors.EVENT_READ)
while True:
    if not tcp:
        time.sleep(3600)
        continue
    for key, _ in sel.select():
        try:
            while True:
                c, _ = key.fileobj.accept()
                c.close()
        except (BlockingIOError, InterruptedError, ConnectionError):
            pass
"""

UDP_CHECK_CODE = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
q = b"\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07version\x04bind\x00\x00\x10\x00\x03"
s.sendto(q, (sys.argv[1], 53))
r, peer = s.recvfrom(2048)
assert peer[0] == sys.argv[1], f"reply from {peer[0]}, expected {sys.argv[1]}"
assert r[:2] == b"\xbe\xef" and r[2] & 0x80, r[:4]
"""

# ----------------------------------------------------------------------------------------------
# The lab
# ----------------------------------------------------------------------------------------------

_ID_RE = re.compile(r"^[A-Za-z0-9]{1,10}$")


def new_id() -> str:
    """Unique enough for parallel ctest runs: PID suffix + random."""
    return f"{os.getpid() % 0x10000:04x}{random.randrange(0x100):02x}"


def _run(args: list[str], check: bool = True, input: Optional[str] = None,
         quiet: bool = False) -> subprocess.CompletedProcess:
    p = subprocess.run(args, input=input, text=True, capture_output=True)
    if check and p.returncode != 0:
        raise LabError(f"command failed ({p.returncode}): {' '.join(args)}\n{p.stderr.strip()}")
    return p


class LabError(RuntimeError):
    pass


def existing_namespaces() -> set[str]:
    p = _run(["ip", "netns", "list"], check=False)
    return {line.split()[0] for line in p.stdout.splitlines() if line.strip()}


@dataclasses.dataclass
class Lab:
    id: str = dataclasses.field(default_factory=new_id)
    prefix: str = DEFAULT_PREFIX
    loss: int = 0
    listen_ports: tuple = LISTEN_PORTS
    udp_listen_ports: tuple = UDP_LISTEN_PORTS
    extra_namespaces: tuple = ()   # made by a test (e.g. more hosts on the link); removed by down()
    queues: int = 1                # TX/RX queues of each veth end (AF_XDP: one per transmit thread)
    conntrack: Optional[tuple] = None   # (entries, lifetime ms): a stateful device in the path
    verbose: bool = False

    def __post_init__(self):
        if not _ID_RE.match(self.id):
            raise LabError(f"lab id must be 1-10 letters/digits: {self.id!r}")
        net = ipaddress.IPv4Network(self.prefix, strict=False)
        if not net.subnet_of(ipaddress.IPv4Network("198.18.0.0/15")):
            raise LabError(f"prefix {net} is not inside 198.18.0.0/15")
        self.prefix = str(net)
        self.scanner_ns = f"ssS{self.id}"
        self.target_ns = f"ssT{self.id}"
        self.veth_scanner = f"ssvS{self.id}"
        self.veth_target = f"ssvT{self.id}"
        self.table = f"synlab{self.id}"
        # The link /24 lives in whichever /16 of 198.18.0.0/15 the prefix does not use. The
        # namespaces of different labs are isolated, so equal x across labs cannot collide; x
        # comes from the id only so that `down`/`exec` can recompute it.
        x = int(hashlib.sha1(self.id.encode()).hexdigest(), 16) % 250 + 2
        link_net = None
        for base in ("198.19", "198.18"):
            cand = ipaddress.IPv4Network(f"{base}.{x}.0/24")
            if not cand.overlaps(net):
                link_net = cand
                break
        if link_net is None:
            raise LabError(f"prefix {net} leaves no room for the link network")
        self.link_net = link_net
        self.scanner_addr = str(link_net.network_address + 1)
        self.target_addr = str(link_net.network_address + 2)

    # -- helpers -------------------------------------------------------------------------------
    def _log(self, msg: str):
        if self.verbose:
            print(f"lab[{self.id}]: {msg}", file=sys.stderr)

    def in_scanner(self, *cmd: str) -> list[str]:
        return ["ip", "netns", "exec", self.scanner_ns, *cmd]

    def in_target(self, *cmd: str) -> list[str]:
        return ["ip", "netns", "exec", self.target_ns, *cmd]

    def _sysctl(self, ns: str, key: str, value) -> bool:
        """Writes a sysctl inside `ns` only when the key exists there (i.e. is per-namespace)."""
        path = "/proc/sys/" + key.replace(".", "/")
        p = _run(["ip", "netns", "exec", ns, "sh", "-c",
                  f'[ -w "{path}" ] && echo {value} > "{path}"'], check=False)
        self._log(f"sysctl {ns} {key}={value}: {'ok' if p.returncode == 0 else 'not per-netns, skipped'}")
        return p.returncode == 0

    def exists(self) -> bool:
        ns = existing_namespaces()
        return any(n in ns for n in (self.scanner_ns, self.target_ns, *self.extra_namespaces))

    def mac(self, which: str = "target") -> str:
        ns, dev = ((self.target_ns, self.veth_target) if which == "target"
                   else (self.scanner_ns, self.veth_scanner))
        out = _run(["ip", "-n", ns, "-o", "link", "show", dev]).stdout
        return re.search(r"link/ether ([0-9a-f:]{17})", out).group(1)

    # -- up / down -----------------------------------------------------------------------------
    def up(self, check: bool = True) -> "Lab":
        if self.exists():
            raise LabError(f"lab {self.id} already exists ({self.scanner_ns}/{self.target_ns})")
        try:
            self._up(check)
        except BaseException:
            self.down()
            raise
        return self

    def _up(self, check: bool):
        S, T = self.scanner_ns, self.target_ns
        _run(["ip", "netns", "add", S])
        _run(["ip", "netns", "add", T])
        for ns in (S, T):
            # no IPv6 chatter (RS/MLD/ND) on the lab link: packet counts must be ours only
            self._sysctl(ns, "net.ipv6.conf.default.disable_ipv6", 1)
            self._sysctl(ns, "net.ipv6.conf.all.disable_ipv6", 1)
            _run(["ip", "-n", ns, "link", "set", "lo", "up"])
        # created directly inside the namespaces: never visible in the root namespace
        queues = ["numtxqueues", str(self.queues), "numrxqueues", str(self.queues)] if self.queues > 1 else []
        _run(["ip", "-n", S, "link", "add", self.veth_scanner, *queues, "type", "veth",
              "peer", "name", self.veth_target, *queues, "netns", T])
        plen = self.link_net.prefixlen
        _run(["ip", "-n", S, "addr", "add", f"{self.scanner_addr}/{plen}", "dev", self.veth_scanner])
        _run(["ip", "-n", T, "addr", "add", f"{self.target_addr}/{plen}", "dev", self.veth_target])
        _run(["ip", "-n", S, "link", "set", self.veth_scanner, "up"])
        _run(["ip", "-n", T, "link", "set", self.veth_target, "up"])
        _run(["ip", "-n", S, "route", "add", "default", "via", self.target_addr])
        # the target answers for every address of the prefix
        _run(["ip", "-n", T, "route", "add", "local", self.prefix, "dev", "lo"])
        # the target replies without rate limits and without dropping SYNs
        for key, value in (("net.ipv4.icmp_ratelimit", 0),
                           ("net.ipv4.icmp_msgs_per_sec", 100000000),
                           ("net.ipv4.icmp_msgs_burst", 100000000),
                           ("net.ipv4.tcp_max_syn_backlog", 1048576),
                           ("net.core.somaxconn", 65535),
                           ("net.ipv4.tcp_syncookies", 1),
                           # Under loss no SYN-ACK retransmission by timer: every reply is
                           # then an answer to a probe, so a delivered reply (nft set
                           # `delivered`) is one the scanner waits for ...
                           ("net.ipv4.tcp_synack_retries", 0 if self.loss else 1),
                           # ... and every retried SYN is answered: by default a SYN_RECV
                           # socket re-answers a retransmitted SYN once per 500 ms, so a
                           # third try often got no reply at all and only the loss rules
                           # should take replies.
                           ("net.ipv4.tcp_invalid_ratelimit", 0 if self.loss else 500)):
            self._sysctl(T, key, value)
        _run(["ip", "netns", "exec", T, "nft", "-f", "-"],
             input=nft_ruleset(self.table, self.prefix))
        self._start_listener()
        if check:
            self.self_check()
        if self.loss:
            # after the self-check: its one-shot DNS query must not be the packet the loss drops
            _run(["ip", "netns", "exec", T, "nft", "-f", "-"],
                 input=nft_loss_ruleset(self.table, self.prefix, self.loss))
        if self.conntrack:
            # after the self-check too: the device's counters then count the scan only
            size, timeout_ms = self.conntrack
            _run(["ip", "netns", "exec", T, "nft", "-f", "-"],
                 input=nft_conntrack_ruleset(self.table, self.prefix, size, timeout_ms))
        self._log(f"up: {S} {self.scanner_addr} <-> {T} {self.target_addr}, prefix {self.prefix}")

    def _start_listener(self):
        ports = ",".join(str(p) for p in self.listen_ports)
        udp_ports = ",".join(str(p) for p in self.udp_listen_ports)
        proc = subprocess.Popen(self.in_target(sys.executable or "python3", "-c", LISTENER_CODE, ports,
                                               udp_ports),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        line = proc.stdout.readline().strip()
        proc.stdout.close()
        if line != "ready":
            raise LabError(f"listener did not start (got {line!r}, rc={proc.poll()})")
        self.listener_pid = proc.pid

    def self_check(self):
        """A real connect() from the scanner namespace to an open port of a non-dark address."""
        net = ipaddress.IPv4Network(self.prefix)
        addr = next(a for a in (net.network_address + i for i in range(1, 4096))
                    if truth(a, self.listen_ports[0]).state == "open")
        code = ("import socket,sys; s=socket.create_connection((sys.argv[1], int(sys.argv[2])), 3); "
                "s.close()")
        _run(self.in_scanner(sys.executable or "python3", "-c", code, str(addr),
                             str(self.listen_ports[0])))
        if 53 in self.udp_listen_ports:
            # a DNS query must come back from the probed address itself, with our id
            addr = next(a for a in (net.network_address + i for i in range(1, 4096))
                        if truth(a, 53, "udp").state == "open")
            p = _run(self.in_scanner(sys.executable or "python3", "-c", UDP_CHECK_CODE, str(addr)),
                     check=False)
            if p.returncode != 0:
                raise LabError(f"DNS answerer self-check failed: {p.stdout.strip()} {p.stderr.strip()[-300:]}")

    def down(self):
        """Idempotent: kills every process inside the lab's namespaces, deletes them."""
        for ns in (*self.extra_namespaces, self.scanner_ns, self.target_ns):
            if ns not in existing_namespaces():
                continue
            self._kill_pids(ns)
            _run(["ip", "netns", "del", ns], check=False)
        self._log("down")

    @staticmethod
    def _ns_pids(ns: str) -> list[int]:
        p = _run(["ip", "netns", "pids", ns], check=False)
        return [int(x) for x in p.stdout.split() if x.isdigit() and int(x) != os.getpid()]

    def _kill_pids(self, ns: str):
        pids = self._ns_pids(ns)
        for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                pids = self._ns_pids(ns)
                if not pids:
                    return
                time.sleep(0.05)

    # -- observation ---------------------------------------------------------------------------
    def loss_counters(self) -> dict:
        """Packets the loss rules dropped: {'in': probes, 'out': replies} (-1 when absent)."""
        out = {}
        for chain, key in (("prerouting", "in"), ("output", "out")):
            text = _run(self.in_target("nft", "list", "chain", "inet", self.table, chain),
                        check=False).stdout
            m = re.search(rf'counter packets (\d+) bytes \d+ drop comment "loss {key}"', text)
            out[key] = int(m.group(1)) if m else -1
        return out

    def conntrack_counters(self) -> dict:
        """Packets the emulated device let through ('tracked') and dropped ('full'); -1 when absent."""
        text = _run(self.in_target("nft", "list", "chain", "inet", self.table, "conntrack"),
                    check=False).stdout
        out = {}
        for key, comment in (("tracked", "tracked"), ("full", "table full")):
            m = re.search(rf'counter packets (\d+) bytes \d+ (?:accept|drop) comment "{comment}"', text)
            out[key] = int(m.group(1)) if m else -1
        return out

    def delivered_replies(self) -> set:
        """With loss on: every (address, proto, port) pair of which at least one reply left the
        target namespace past the loss rule (a reply to any try of the probe)."""
        pairs = set()
        for name in ("delivered", "delivered_icmp"):
            text = _run(self.in_target("nft", "-j", "list", "set", "inet", self.table, name)).stdout
            for item in json.loads(text)["nftables"]:
                for elem in item.get("set", {}).get("elem", []):
                    value = elem["elem"]["val"] if isinstance(elem, dict) and "elem" in elem else elem
                    proto, addr, port = value["concat"]
                    proto = _PROTO_NUMBERS.get(proto, proto)
                    if name == "delivered_icmp":
                        addr = str(ipaddress.IPv4Address(int(addr)))
                    pairs.add((addr, {6: "tcp", 17: "udp"}.get(proto, str(proto)), int(port)))
        return pairs

    def probe_counter(self) -> int:
        """Packets the target namespace received for the prefix (the nft 'probes' counter)."""
        out = _run(self.in_target("nft", "list", "chain", "inet", self.table, "input")).stdout
        m = re.search(r'counter packets (\d+) bytes \d+ comment "probes"', out)
        return int(m.group(1)) if m else -1

    def __enter__(self):
        return self.up()

    def __exit__(self, *exc):
        self.down()
        return False


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


# scripts/test (and the sanitizer builds' lab scan) set this: a lab test that cannot run is then a
# failure, never a skip, so a green suite means every lab test really ran. A developer running one
# test by hand without it still gets 77 (skipped) when not root.
REQUIRE_LAB_ENV = "SYNSCAN_REQUIRE_LAB"
# What every lab needs (scripts/setup installs all of it).
LAB_TOOLS = ("ip", "nft", "tcpdump", "setpriv")


# Linux's default ICMP error limits (issue 13): one error a second per peer after a burst of 6,
# under a global 1000/s with a burst of 50. `Lab.up` turns them off in the target namespace.
KERNEL_ICMP_LIMITS = (("net.ipv4.icmp_ratelimit", 1000), ("net.ipv4.icmp_msgs_per_sec", 1000),
                      ("net.ipv4.icmp_msgs_burst", 50))


def restore_kernel_icmp_limits(namespace: str) -> None:
    """Puts KERNEL_ICMP_LIMITS back in `namespace` (written there only). Raises LabError when a key
    is not per network namespace on this kernel (the write would reach the root namespace)."""
    def read(key: str, ns: Optional[str]) -> str:
        path = "/proc/sys/" + key.replace(".", "/")
        cmd = ["ip", "netns", "exec", ns, "cat", path] if ns else ["cat", path]
        return _run(cmd).stdout.strip()
    for key, value in KERNEL_ICMP_LIMITS:
        root = read(key, None)
        _run(["ip", "netns", "exec", namespace, "sh", "-c",
              f'echo {value} > /proc/sys/{key.replace(".", "/")}'])
        if read(key, namespace) != str(value):
            raise LabError(f"{key} reads {read(key, namespace)} in {namespace} after writing {value}")
        if read(key, None) != root:
            raise LabError(f"the root namespace's {key} changed: not per network namespace here")


def lab_required() -> bool:
    return os.environ.get(REQUIRE_LAB_ENV, "") not in ("", "0")


def cannot_run(reason: str) -> int:
    """The exit code of a lab test that cannot run: 77 (skipped) by default, 1 (failed) when
    SYNSCAN_REQUIRE_LAB is set."""
    if lab_required():
        print(f"FAIL: {reason} ({REQUIRE_LAB_ENV} is set: every lab test and consumer check must run)")
        return 1
    print(f"SKIP: {reason}")
    return 77


def missing_tools(tools: Iterable[str] = (), files: Iterable[str] = ()) -> list[str]:
    """The programs (on PATH) and files a test needs that are absent."""
    missing = [t for t in tools if shutil.which(t) is None]
    return missing + [f for f in files if not os.path.exists(f)]


def test_preflight(synscan: str, tools: Iterable[str] = (), files: Iterable[str] = ()) -> Optional[int]:
    """Shared start of the lab test drivers: None when the test may run, else its exit code.
    Not root: cannot_run() (77, or 1 under SYNSCAN_REQUIRE_LAB). No synscan binary, or a missing
    lab tool, consumer tool or file (`tools`, `files`; scripts/setup installs them all): 1, a
    failure, whatever the environment. Also turns SIGTERM/SIGHUP (ctest timeout) into SystemExit
    so every `finally` that removes a lab runs."""
    if os.geteuid() != 0:
        return cannot_run("the lab needs root (network namespaces)")
    if not (os.path.isfile(synscan) and os.access(synscan, os.X_OK)):
        print(f"FAIL: no synscan binary at {synscan}")
        return 1
    missing = missing_tools((*LAB_TOOLS, *tools), files)
    if missing:
        print(f"FAIL: missing {', '.join(missing)} (scripts/setup installs them)")
        return 1
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    return None


def spawn_reaper(lab: Lab) -> int:
    """Double-forks a detached watcher that runs lab.down() when this process dies, however it
    dies (SIGKILL from a ctest timeout included). Returns the write end of the life-line pipe;
    the caller just keeps it open."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(w)
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
            # grandchild: reparented away from the caller's process tree
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            # leave any ip-netns-exec'd namespace logic alone: we only read the pipe
            while os.read(r, 1):
                pass
            try:
                lab.verbose = False
                lab.down()
            finally:
                os._exit(0)
        except BaseException:
            os._exit(1)
    os.close(r)
    os.waitpid(pid, 0)
    return w


# ----------------------------------------------------------------------------------------------
# CLI (scripts/lab is a thin wrapper around main())
# ----------------------------------------------------------------------------------------------

def _cmd_truth(args):
    protos = tuple(x for x, on in (("tcp", args.tcp or not args.udp), ("udp", args.udp)) if on)
    ports = parse_port_spec(args.ports, protos)
    targets = expand_targets(args.targets or [args.prefix])
    counts: dict[tuple, int] = {}
    up = 0
    out = sys.stdout
    for a in targets:
        if host_up_for_ports(a, ports):
            up += 1
        for proto, p in ports:
            e = truth(a, p, proto)
            counts[(proto, p, e.state, e.reason)] = counts.get((proto, p, e.state, e.reason), 0) + 1
            if not args.summary:
                out.write(f"{a} {p} {proto} {e.state} {e.reason} {e.ttl}\n")
    if args.summary:
        print(f"targets {len(targets)}  hosts up {up}  pairs {len(targets) * len(ports)}")
        for (proto, p, s, r), n in sorted(counts.items()):
            print(f"  {p:>5}/{proto} {s:<13} {r:<17} {n}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="lab", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up", help="create the lab")
    u.add_argument("--id", default=None)
    u.add_argument("--prefix", default=DEFAULT_PREFIX)
    u.add_argument("--loss", type=int, default=0, help="percent random loss in both directions")
    u.add_argument("--conntrack", metavar="ENTRIES:MS", nargs="?", const="%d:%d" % CONNTRACK_DEFAULT,
                   help="a stateful device in the path: a table of ENTRIES flows living MS ms "
                        "(default 30000:1000)")
    u.add_argument("-v", "--verbose", action="store_true")
    d = sub.add_parser("down", help="remove the lab")
    d.add_argument("--id", required=True)
    t = sub.add_parser("truth", help="print the ground truth")
    t.add_argument("--prefix", default=DEFAULT_PREFIX)
    t.add_argument("--ports", default=",".join(map(str, DEFAULT_PORTS)))
    t.add_argument("--targets", nargs="*", help="default: the whole prefix")
    t.add_argument("--summary", action="store_true", help="counts only")
    t.add_argument("-sS", dest="tcp", action="store_true", help="TCP (the default)")
    t.add_argument("-sU", dest="udp", action="store_true", help="UDP (with -sS: both; T:/U: prefixes in --ports)")
    n = sub.add_parser("nft", help="print the nft ruleset that `up` loads")
    n.add_argument("--id", default="ID")
    n.add_argument("--prefix", default=DEFAULT_PREFIX)
    n.add_argument("--loss", type=int, default=0)
    s = sub.add_parser("status", help="show a lab (links, addresses, nft counters)")
    s.add_argument("--id", required=True)
    e = sub.add_parser("exec", help="run a command inside the scanner namespace")
    e.add_argument("--id", required=True)
    e.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)

    if args.cmd == "truth":
        _cmd_truth(args)
        return 0
    if args.cmd == "nft":
        print(nft_ruleset(f"synlab{args.id}", args.prefix, args.loss), end="")
        return 0
    if os.geteuid() != 0:
        print("lab: needs root (network namespaces)", file=sys.stderr)
        return 2
    try:
        if args.cmd == "up":
            conntrack = tuple(int(x) for x in args.conntrack.split(":")) if args.conntrack else None
            lab = Lab(id=args.id or new_id(), prefix=args.prefix, loss=args.loss, conntrack=conntrack,
                      verbose=args.verbose)
            lab.up()
            print(f"id={lab.id} scanner_ns={lab.scanner_ns} target_ns={lab.target_ns} "
                  f"scanner_if={lab.veth_scanner} scanner_addr={lab.scanner_addr} "
                  f"gateway={lab.target_addr} gateway_mac={lab.mac('target')} prefix={lab.prefix}")
        elif args.cmd == "down":
            Lab(id=args.id).down()
        elif args.cmd == "status":
            lab = Lab(id=args.id)
            if not lab.exists():
                print(f"lab {args.id}: not present")
                return 1
            for ns in (lab.scanner_ns, lab.target_ns):
                print(f"== {ns} (pids: {' '.join(map(str, lab._ns_pids(ns))) or '-'})")
                print(_run(["ip", "-n", ns, "-br", "addr"]).stdout, end="")
                print(_run(["ip", "-n", ns, "route"]).stdout, end="")
            print(_run(lab.in_target("nft", "list", "table", "inet", lab.table)).stdout, end="")
        elif args.cmd == "exec":
            cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
            if not cmd:
                ap.error("exec: no command")
            return subprocess.call(Lab(id=args.id).in_scanner(*cmd))
    except LabError as err:
        print(f"lab: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
