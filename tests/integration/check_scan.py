#!/usr/bin/env python3
"""Runs synscan inside a lab's scanner namespace and checks every (host, port) of its three outputs
against the lab's ground truth (lab.truth). Stdlib only.

  # against a running lab (scripts/lab up --id ID):
  check_scan.py --lab-id ID --synscan build/scanner/synscan --targets 198.18.3.0/24 \
      --ports 22,25,80,443,8080 --rate 20000
  # check existing files only (e.g. nmap's, made in the lab):
  check_scan.py --targets ... --ports ... --xml scan.xml --gnmap scan.gnmap --jsonl scan.jsonl

Exit status: 0 all right, 1 any mismatch, 2 usage / environment problem.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab as labmod  # noqa: E402
from lab import (Expect, SERVICES, UDP_SERVICES, expand_targets, parse_port_spec, parse_ports,  # noqa: E402
                 truth)

NMAP_DTD = "/usr/share/nmap/nmap.dtd"
MAX_LISTED = 20


class Tally:
    """Pair-level accounting for one output format."""

    def __init__(self, name: str):
        self.name = name
        self.total = 0          # expected pairs
        self.right = 0
        self.wrong: list[tuple] = []       # (ip, port, expected, actual)
        self.missing: list[tuple] = []     # (ip, port, expected)
        self.duplicates: list[tuple] = []  # (ip, port)
        self.extra: list[str] = []         # unexpected records
        self.errors: list[str] = []        # structural problems
        self.hosts_up = 0
        self.checked = True

    @property
    def ok(self) -> bool:
        return not (self.wrong or self.missing or self.duplicates or self.extra or self.errors)

    def error(self, msg: str):
        self.errors.append(msg)

    def print(self, out=sys.stdout):
        status = "ok" if self.ok else "FAIL"
        print(f"[{self.name}] {status}: pairs {self.total}  right {self.right}  wrong {len(self.wrong)}  "
              f"missing {len(self.missing)}  duplicates {len(self.duplicates)}  extra {len(self.extra)}  "
              f"hosts up {self.hosts_up}", file=out)
        for msg in self.errors[:MAX_LISTED]:
            print(f"  error: {msg}", file=out)
        if len(self.errors) > MAX_LISTED:
            print(f"  ... {len(self.errors) - MAX_LISTED} more errors", file=out)
        for ip, port, exp, act in self.wrong[:MAX_LISTED]:
            print(f"  wrong: {ip}:{fmt_port(port)} expected {fmt(exp)} got {fmt(act)}", file=out)
        if len(self.wrong) > MAX_LISTED:
            print(f"  ... {len(self.wrong) - MAX_LISTED} more wrong", file=out)
        for ip, port, exp in self.missing[:MAX_LISTED]:
            print(f"  missing: {ip}:{fmt_port(port)} (expected {fmt(exp)})", file=out)
        if len(self.missing) > MAX_LISTED:
            print(f"  ... {len(self.missing) - MAX_LISTED} more missing", file=out)
        for ip, *port in self.duplicates[:MAX_LISTED]:
            print(f"  duplicate: {ip}:{fmt_port(tuple(port))}", file=out)
        for rec in self.extra[:MAX_LISTED]:
            print(f"  extra: {rec}", file=out)


def fmt_port(pp) -> str:
    """(proto, port) -> 'port/proto'."""
    if isinstance(pp, tuple) and len(pp) == 2:
        return f"{pp[1]}/{pp[0]}"
    if isinstance(pp, tuple) and len(pp) == 1:
        return fmt_port(pp[0])
    return str(pp)


def fmt(e) -> str:
    if isinstance(e, Expect):
        return f"{e.state}/{e.reason}/ttl={e.ttl}"
    if isinstance(e, tuple):
        return "/".join(str(x) for x in e)
    return str(e)


class Expected:
    """The truth for a target list x port list. ports: synscan's -p syntax (T:/U: prefixes);
    protos: the protocols scanned (("tcp",) for -sS, ("udp",) for -sU, both for -sS -sU).
    Pairs are keyed (ip, proto, port)."""

    def __init__(self, targets: list[str], ports, proto: str = "tcp", protos=None):
        self.addresses = expand_targets(targets)
        self.protos = tuple(protos) if protos else (proto,)
        self.ports = parse_port_spec(ports, self.protos)      # [(proto, port)], TCP first
        self.proto = self.protos[0]
        self.pairs = {(str(a), pr, p): truth(a, p, pr) for a in self.addresses for pr, p in self.ports}
        self.up = {str(a) for a in self.addresses
                   if any(self.pairs[(str(a), pr, p)].reason != "no-response" for pr, p in self.ports)}
        self.all = {str(a) for a in self.addresses}

    def ports_of(self, proto: str) -> list[int]:
        return [p for pr, p in self.ports if pr == proto]


def _service_ok(port: int, name: Optional[str], proto: str = "tcp") -> bool:
    table = SERVICES if proto == "tcp" else UDP_SERVICES
    if port not in table:
        return True
    return name in table[port]


# ----------------------------------------------------------------------------------------------
# JSON lines
# ----------------------------------------------------------------------------------------------

def check_jsonl(path: str, exp: Expected, down_hosts: str = "all") -> Tally:
    """down_hosts: all = pairs of hosts that are not up must be present (filtered/no-response);
    absent = they must not be; any = either."""
    t = Tally("jsonl")
    seen: dict[tuple, Expect] = {}
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as err:
        t.error(f"cannot read {path}: {err}")
        return t
    for n, line in enumerate(lines, 1):
        if not line.strip():
            t.error(f"line {n}: blank line")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            t.error(f"line {n}: not JSON ({err}): {line[:120]}")
            continue
        if not isinstance(obj, dict):
            t.error(f"line {n}: not an object")
            continue
        missing_keys = [k for k in ("ip", "port", "proto", "state", "reason", "ttl") if k not in obj]
        if missing_keys:
            t.error(f"line {n}: missing keys {missing_keys}: {line[:120]}")
            continue
        ip, port = obj["ip"], obj["port"]
        if not isinstance(port, int) or not isinstance(obj["ttl"], int):
            t.error(f"line {n}: port/ttl must be integers: {line[:120]}")
            continue
        if "time" in obj and not isinstance(obj["time"], int):
            t.error(f"line {n}: time must be an integer (epoch seconds)")
        if obj["proto"] not in exp.protos:
            t.extra.append(f"line {n}: proto {obj['proto']!r}")
            continue
        key = (ip, obj["proto"], port)
        if key not in exp.pairs:
            t.extra.append(f"line {n}: {ip}:{port}/{obj['proto']} not a target pair")
            continue
        if key in seen:
            t.duplicates.append(key)
            continue
        actual = Expect(obj["state"], obj["reason"], obj["ttl"])
        seen[key] = actual
        if ip not in exp.up and down_hosts == "absent":
            t.extra.append(f"line {n}: {ip}:{port} of a host that is not up")
            continue
        want = exp.pairs[key]
        pp = key[1:]
        if actual != want:
            t.wrong.append((ip, pp, want, actual))
        elif "service" in obj and not _service_ok(port, obj["service"], obj["proto"]):
            t.wrong.append((ip, pp, "service", f"service {obj['service']!r}"))
        else:
            t.right += 1
    for key, want in exp.pairs.items():
        ip = key[0]
        if ip not in exp.up and down_hosts != "all":
            continue
        t.total += 1
        if key not in seen:
            t.missing.append((key[0], key[1:], want))
    if down_hosts == "any":
        t.total = len([k for k in exp.pairs if k[0] in exp.up or k in seen])
    t.hosts_up = len({k[0] for k, a in seen.items() if a.reason != "no-response"})
    return t


# ----------------------------------------------------------------------------------------------
# nmap XML
# ----------------------------------------------------------------------------------------------

def ndiff_sees_one_change(path: str) -> Optional[str]:
    """nmap's ndiff reads the scan and finds exactly one known difference against a copy in which
    the first listed port of the first host with ports has another state (open <-> closed). A file
    compared with itself would pass whatever ndiff made of it; this needs ndiff to have read that
    host, that port and everything else equal. None when right, else the problem."""
    try:
        tree = ET.parse(path)
    except (ET.ParseError, OSError) as err:
        return f"ndiff check: cannot read {path}: {err}"
    for host in tree.getroot().iter("host"):
        port = next(iter(host.iter("port")), None)
        state = None if port is None else port.find("state")
        if state is None:
            continue
        addr = next((a.get("addr") for a in host.findall("address") if a.get("addrtype") == "ipv4"), "?")
        old = state.get("state")
        new = "closed" if old == "open" else "open"
        state.set("state", new)
        spec = f"{port.get('portid')}/{port.get('protocol')}"
        break
    else:
        return None  # no host lists a port (e.g. every host dark): nothing ndiff could compare
    changed = path + ".ndiff-changed.xml"
    tree.write(changed, encoding="UTF-8", xml_declaration=True)
    try:
        p = subprocess.run(["ndiff", path, changed], capture_output=True, text=True)
    finally:
        os.unlink(changed)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith(("-", "+")) and ("/tcp" in ln or "/udp" in ln)]
    want = [f"-{spec} {old}", f"+{spec} {new}"]
    if (p.returncode != 1 or addr not in p.stdout or len(lines) != 2
            or not all(ln.split()[:2] == w.split() for ln, w in zip(lines, want))):
        return (f"`ndiff scan.xml changed.xml` (exit {p.returncode}, want 1) does not report exactly "
                f"{addr} {spec} {old} -> {new}: " + " | ".join((p.stderr or p.stdout).strip().splitlines()[-6:]))
    return None


def check_xml(path: str, exp: Expected, dark_listed: bool = False, run_ndiff: bool = True) -> Tally:
    """dark_listed: hosts that are not up are listed with every port filtered (nmap -Pn)."""
    t = Tally("xml")
    listed = exp.all if dark_listed else exp.up
    if os.path.exists(NMAP_DTD):
        p = subprocess.run(["xmllint", "--noout", "--dtdvalid", NMAP_DTD, path],
                           capture_output=True, text=True)
        if p.returncode != 0:
            t.error(f"xmllint --dtdvalid failed (rc {p.returncode}): "
                    + " | ".join(p.stderr.strip().splitlines()[:5]))
    else:
        t.error(f"{NMAP_DTD} missing: cannot validate")
    if run_ndiff:
        problem = ndiff_sees_one_change(path)
        if problem:
            t.error(problem)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as err:
        t.error(f"not well-formed XML: {err}")
        return t
    if root.tag != "nmaprun":
        t.error(f"root element is <{root.tag}>, not <nmaprun>")
    infos = root.findall("scaninfo")
    want_types = [("syn" if pr == "tcp" else "udp", pr) for pr in ("tcp", "udp") if pr in exp.protos]
    got_types = [(si.get("type"), si.get("protocol")) for si in infos]
    if got_types != want_types:
        t.error(f"scaninfo type/protocol {got_types}, expected {want_types}")
    for si in infos:
        proto = si.get("protocol")
        if proto not in exp.protos:
            continue
        want_ports = exp.ports_of(proto)
        if si.get("numservices") != str(len(want_ports)):
            t.error(f"scaninfo {proto} numservices={si.get('numservices')!r}, expected {len(want_ports)}")
        if _expand_services(si.get("services", "")) != want_ports:
            t.error(f"scaninfo {proto} services={si.get('services')!r} is not the port list")
    seen_hosts: dict[str, int] = {}
    seen: dict[tuple, Expect] = {}
    for h in root.iter("host"):
        st = h.find("status")
        addr = next((a.get("addr") for a in h.findall("address") if a.get("addrtype") == "ipv4"), None)
        if addr is None:
            t.error("<host> without an ipv4 <address>")
            continue
        seen_hosts[addr] = seen_hosts.get(addr, 0) + 1
        if seen_hosts[addr] > 1:
            t.error(f"host {addr} listed {seen_hosts[addr]} times")
            continue
        if addr not in exp.all:
            t.extra.append(f"host {addr} is not a target")
            continue
        if st is None or st.get("state") != "up":
            t.error(f"host {addr}: status {None if st is None else st.get('state')!r}, expected up")
        if addr not in listed:
            t.extra.append(f"host {addr} listed but it is not up (dark)")
            continue
        ports_el = h.find("ports")
        if ports_el is None:
            t.error(f"host {addr}: no <ports>")
            continue
        for xp in ports_el.findall("extraports"):
            t.error(f"host {addr}: <extraports state={xp.get('state')!r} count={xp.get('count')!r}>"
                    " (expected every port listed)")
        order = [(pe.get("protocol") != "tcp", int(pe.get("portid", "-1"))) for pe in ports_el.findall("port")]
        if order != sorted(order):
            t.error(f"host {addr}: ports not in order (TCP ascending, then UDP ascending)")
        for pe in ports_el.findall("port"):
            proto = pe.get("protocol")
            if proto not in exp.protos:
                t.extra.append(f"host {addr}: port {pe.get('portid')}/{proto}")
                continue
            port = int(pe.get("portid", "-1"))
            key = (addr, proto, port)
            if key not in exp.pairs:
                t.extra.append(f"{addr}:{port}/{proto} not a target pair")
                continue
            if key in seen:
                t.duplicates.append(key)
                continue
            se = pe.find("state")
            if se is None:
                t.error(f"{addr}:{port}: no <state>")
                continue
            try:
                ttl = int(se.get("reason_ttl", "-1"))
            except ValueError:
                ttl = -1
            actual = Expect(se.get("state"), se.get("reason"), ttl)
            seen[key] = actual
            want = exp.pairs[key]
            svc = pe.find("service")
            if actual != want:
                t.wrong.append((addr, key[1:], want, actual))
            elif not _service_ok(port, None if svc is None else svc.get("name"), proto):
                t.wrong.append((addr, key[1:], "service", None if svc is None else svc.get("name")))
            else:
                t.right += 1
    for key, want in exp.pairs.items():
        if key[0] in listed:
            t.total += 1
            if key not in seen:
                t.missing.append((key[0], key[1:], want))
    t.hosts_up = len(seen_hosts)
    rs = root.find("runstats")
    if rs is None:
        t.error("no <runstats> (document not finished)")
    else:
        fin, hosts = rs.find("finished"), rs.find("hosts")
        if fin is None or fin.get("exit") != "success":
            t.error(f"runstats finished exit={None if fin is None else fin.get('exit')!r}")
        want_up = len(listed)
        want = (str(want_up), str(len(exp.all) - want_up), str(len(exp.all)))
        got = (None, None, None) if hosts is None else (hosts.get("up"), hosts.get("down"), hosts.get("total"))
        if got != want:
            t.error(f"runstats hosts up/down/total = {'/'.join(map(str, got))}, expected {'/'.join(want)}")
    return t


def _expand_services(spec: str) -> list[int]:
    try:
        return parse_ports(spec)
    except ValueError:
        return []


# ----------------------------------------------------------------------------------------------
# nmap greppable
# ----------------------------------------------------------------------------------------------

_HOST_RE = re.compile(r"^Host: (\S+) \(([^)]*)\)\t(.*)$")
_DONE_RE = re.compile(r"^# .* done at .* -- (\d+) IP address(?:es)? \((\d+) hosts? up\) scanned in [\d.]+ seconds$")


def check_gnmap(path: str, exp: Expected, dark_listed: bool = False) -> Tally:
    t = Tally("gnmap")
    listed = exp.all if dark_listed else exp.up
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as err:
        t.error(f"cannot read {path}: {err}")
        return t
    status: dict[str, int] = {}
    portlines: dict[str, int] = {}
    seen: dict[tuple, Expect] = {}
    footer = None
    if not lines or not lines[0].startswith("# "):
        t.error("no '# ... scan initiated' header line")
    for n, line in enumerate(lines, 1):
        if line.startswith("#"):
            m = _DONE_RE.match(line)
            if m:
                if footer is not None:
                    t.error(f"line {n}: second footer")
                footer = (int(m.group(1)), int(m.group(2)))
                if n != len(lines):
                    t.error(f"line {n}: footer is not the last line")
            continue
        m = _HOST_RE.match(line)
        if not m:
            t.error(f"line {n}: unparsable: {line[:120]}")
            continue
        ip, fields = m.group(1), m.group(3).split("\t")
        if ip not in exp.all:
            t.extra.append(f"line {n}: host {ip} is not a target")
            continue
        for field in fields:
            name, _, value = field.partition(": ")
            if name == "Status":
                if value == "Down":
                    if ip in listed:
                        t.error(f"line {n}: {ip} Status: Down but it is up")
                    continue
                if value != "Up":
                    t.error(f"line {n}: {ip} Status: {value!r}")
                status[ip] = status.get(ip, 0) + 1
            elif name == "Ports":
                portlines[ip] = portlines.get(ip, 0) + 1
                if portlines[ip] > 1:
                    t.error(f"line {n}: second Ports: line for {ip}")
                    continue
                if ip not in listed:
                    t.extra.append(f"line {n}: Ports: for {ip}, which is not up (dark)")
                    continue
                order = []
                for entry in value.split(", "):
                    parts = entry.split("/")
                    if len(parts) != 8 or parts[7] != "" or not parts[0].isdigit():
                        t.error(f"line {n}: bad port entry {entry!r} (want port/state/proto/owner/service/rpc/version/)")
                        continue
                    port, state, proto, _owner, service = int(parts[0]), parts[1], parts[2], parts[3], parts[4]
                    order.append((proto != "tcp", port))
                    key = (ip, proto, port)
                    if proto not in exp.protos or key not in exp.pairs:
                        t.extra.append(f"line {n}: {entry}")
                        continue
                    if key in seen:
                        t.duplicates.append(key)
                        continue
                    want = exp.pairs[key]
                    seen[key] = Expect(state, want.reason, want.ttl)  # greppable has no reason
                    if state != want.state:
                        t.wrong.append((ip, key[1:], want.state, state))
                    elif not _service_ok(port, service, proto):
                        t.wrong.append((ip, key[1:], "service", service))
                    else:
                        t.right += 1
                if order != sorted(order):
                    t.error(f"line {n}: {ip}: ports not in order (TCP ascending, then UDP ascending)")
            elif name == "Ignored State":
                t.error(f"line {n}: {ip} has 'Ignored State: {value}' (expected every port listed)")
            elif name in ("OS", "Seq Index", "IP ID Seq"):
                pass
            else:
                t.error(f"line {n}: unknown field {name!r}")
    for ip in sorted(listed, key=lambda s: ipaddress.IPv4Address(s)):
        if status.get(ip, 0) != 1:
            t.error(f"{ip}: {status.get(ip, 0)} 'Status: Up' lines, expected 1")
        if portlines.get(ip, 0) == 0:
            t.error(f"{ip}: no Ports: line")
    for ip in status:
        if ip not in listed:
            t.extra.append(f"Status: Up for {ip}, which is not up (dark)")
    for key, want in exp.pairs.items():
        if key[0] in listed:
            t.total += 1
            if key not in seen:
                t.missing.append((key[0], key[1:], want))
    t.hosts_up = len(status)
    if footer is None:
        t.error("no '# ... done at ... -- N IP addresses (M hosts up) scanned in S seconds' footer")
    elif footer != (len(exp.all), len(listed)):
        t.error(f"footer says {footer[0]} addresses / {footer[1]} up, expected {len(exp.all)} / {len(listed)}")
    return t


# ----------------------------------------------------------------------------------------------
# Running synscan
# ----------------------------------------------------------------------------------------------

class RunResult:
    def __init__(self, cmd, returncode, wall, stdout_path, stderr_path, timed_out=False):
        self.cmd, self.returncode, self.wall = cmd, returncode, wall
        self.stdout_path, self.stderr_path, self.timed_out = stdout_path, stderr_path, timed_out

    def stderr_tail(self, n: int = 40) -> str:
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return "\n".join(f.read().splitlines()[-n:])
        except OSError:
            return ""


def run_synscan(lab: "labmod.Lab", synscan: str, targets: list[str], ports: str, outdir: str,
                rate: int = 20000, retries: int = 2, wait: float = 2.0, extra: Optional[list[str]] = None,
                timeout: float = 300, stream_stderr: bool = False, json: bool = True) -> RunResult:
    os.makedirs(outdir, exist_ok=True)
    xml, gnmap, jsonl = (os.path.join(outdir, f) for f in ("scan.xml", "scan.gnmap", "scan.jsonl"))
    for f in (xml, gnmap, jsonl):
        if os.path.exists(f):
            os.unlink(f)
    cmd = lab.in_scanner(os.path.abspath(synscan), "-p", ports, "--rate", str(rate), "--retries",
                         str(retries), "--wait", f"{wait:g}", *(extra or []), *targets,
                         "-oX", xml, "-oG", gnmap, *(["-oJ", jsonl] if json else []))
    out_path, err_path = os.path.join(outdir, "synscan.stdout"), os.path.join(outdir, "synscan.stderr")
    start = time.monotonic()
    timed_out = False
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.PIPE if stream_stderr else err, text=True)
        if stream_stderr:
            for line in proc.stderr:
                sys.stderr.write(line)
                err.write(line)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return RunResult(cmd, proc.returncode, time.monotonic() - start, out_path, err_path, timed_out)


_SUMMARY_RE = re.compile(r"ports: (\d+) open, (\d+) closed, (\d+) filtered, (\d+) open\|filtered")


def check_summary_counts(exp: Expected, run: RunResult) -> bool:
    """synscan's closing line counts every probed pair by state: compare it with the truth."""
    try:
        with open(run.stderr_path, encoding="utf-8", errors="replace") as f:
            found = _SUMMARY_RE.findall(f.read())
    except OSError:
        found = []
    if not found:
        print("[summary] FAIL: no 'ports: N open, N closed, N filtered, N open|filtered' line on stderr")
        return False
    got = dict(zip(("open", "closed", "filtered", "open|filtered"), map(int, found[-1])))
    want = {state: 0 for state in got}
    for t in exp.pairs.values():
        want[t.state] += 1
    ok = got == want
    print(f"[summary] {'ok' if ok else 'FAIL'}: synscan counted {got}; truth {want}")
    return ok


def scan_protos(tcp: bool, udp: bool) -> tuple:
    return tuple(p for p, on in (("tcp", tcp or not udp), ("udp", udp)) if on)


def scan_flags(protos) -> list[str]:
    """synscan/nmap scan-type flags for the protocols (-sS is the default, given explicitly anyway)."""
    return (["-sS"] if "tcp" in protos else []) + (["-sU"] if "udp" in protos else [])


def check_outputs(exp: Expected, xml: Optional[str], gnmap: Optional[str], jsonl: Optional[str],
                  dark_listed: bool = False, json_down: str = "all") -> list[Tally]:
    tallies = []
    if jsonl:
        tallies.append(check_jsonl(jsonl, exp, json_down))
    if xml:
        tallies.append(check_xml(xml, exp, dark_listed))
    if gnmap:
        tallies.append(check_gnmap(gnmap, exp, dark_listed))
    return tallies


def summarize(exp: Expected, tallies: list[Tally], run: Optional[RunResult] = None,
              also_ok: bool = True) -> bool:
    ok = also_ok and all(t.ok for t in tallies)
    print(f"targets {len(exp.all)} addresses x {len(exp.ports)} ports "
          f"({'+'.join(exp.protos)}) = {len(exp.pairs)} pairs; truth: {len(exp.up)} hosts up")
    if run is not None:
        state = "TIMED OUT" if run.timed_out else f"exit {run.returncode}"
        print(f"synscan: {state}, wall time {run.wall:.2f} s")
        if run.returncode != 0:
            ok = False
    for t in tallies:
        t.print()
    if run is not None and not ok:
        print(f"--- command: {shlex.join(run.cmd)}")
        print("--- synscan stderr (tail):")
        print(run.stderr_tail())
    print("RESULT:", "PASS" if ok else "FAIL")
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lab-id", help="a lab made by `scripts/lab up` (for running synscan)")
    ap.add_argument("--prefix", default=labmod.DEFAULT_PREFIX)
    ap.add_argument("--synscan", help="synscan binary; omit to only check files")
    ap.add_argument("--targets", nargs="+", required=True)
    ap.add_argument("--ports", default="22,25,80,443,8080")
    ap.add_argument("--rate", type=int, default=20000)
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("--wait", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--outdir", default=None)
    ap.add_argument("--extra", default="", help="more synscan arguments (one shell-quoted string)")
    ap.add_argument("--xml"), ap.add_argument("--gnmap"), ap.add_argument("--jsonl")
    ap.add_argument("--dark-listed", action="store_true",
                    help="hosts that are not up are listed as up with all ports filtered (nmap -Pn)")
    ap.add_argument("--json-down", choices=("all", "absent", "any"), default="all",
                    help="JSON pairs of hosts that are not up: all present (default), absent, either")
    ap.add_argument("-sS", dest="tcp", action="store_true", help="TCP SYN scan (default)")
    ap.add_argument("-sU", dest="udp", action="store_true", help="UDP scan (with -sS: both)")
    args = ap.parse_args(argv)
    protos = scan_protos(args.tcp, args.udp)
    exp = Expected(args.targets, args.ports, protos=protos)
    run = None
    xml, gnmap, jsonl = args.xml, args.gnmap, args.jsonl
    if args.synscan:
        if not args.lab_id:
            ap.error("--synscan needs --lab-id")
        lab = labmod.Lab(id=args.lab_id, prefix=args.prefix)
        outdir = args.outdir or f"/tmp/synscan-check-{args.lab_id}"
        run = run_synscan(lab, args.synscan, args.targets, args.ports, outdir, args.rate, args.retries,
                          args.wait, scan_flags(protos) + shlex.split(args.extra), args.timeout)
        xml, gnmap, jsonl = (os.path.join(outdir, f) for f in ("scan.xml", "scan.gnmap", "scan.jsonl"))
        print(f"outputs in {outdir}")
    tallies = check_outputs(exp, xml, gnmap, jsonl, args.dark_listed, args.json_down)
    if not tallies:
        ap.error("nothing to check: give --synscan or --xml/--gnmap/--jsonl")
    return 0 if summarize(exp, tallies, run) else 1


if __name__ == "__main__":
    sys.exit(main())
