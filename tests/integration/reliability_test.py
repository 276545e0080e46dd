#!/usr/bin/env python3
"""synscan's reliability lab: random loss, duplicated replies, delay with jitter and reordering.

Every test makes its own lab (tests/integration/lab.py, unique names), changes the target
namespace only, and removes everything in `finally` and, should it be killed, by lab.py's detached
reaper. Scanners run only inside the lab's scanner namespace; targets are in 198.18.0.0/15.

  loss   nftables `numgen random mod 100 < N drop` on the target namespace's prerouting and output
         hooks (lab.py --loss); nft sets record every reply that got past the drop. Exact: a
         pair with a delivered reply has its true state, a pair whose every reply was lost is
         filtered/no-response, nothing else (so the misses allowed are the pairs the loss took
         completely, counted). Figure: open ports found / open ports of the truth.
           reliability_test.py --synscan S loss --loss 2 --targets 198.18.0.0/16 --rate 50000 \
               [--min-found 99.99] [--masscan]
  dup    an `ip`-family nft table in the target namespace whose postrouting chain does
         `dup to <scanner> device <veth>` for every reply: each reply reaches the scanner twice.
         Outputs must be exactly the truth (each pair once in JSONL, each host once in XML) and
         synscan's summary must count duplicates.
  delay  iptables-nft `-j NFQUEUE` (nft_compat; this kernel has no nft `queue` expression and no
         netem) on the target namespace's OUTPUT (replies) and optionally PREROUTING (probes);
         delayer/nfq_delay.c holds every packet for delay +/- jitter (uniform) and releases it in
         release-time order, which reorders them. Outputs must be exactly the truth.
  bench  all of the above with the figures in one table (scripts/bench-reliability).

Every tool is required (scripts/setup installs iptables, libnetfilter-queue-dev, masscan): a missing
one is a failure, not a skip.
Exit: 0 pass, 1 fail (also: no synscan, a missing tool), 77 skipped (not root, unless
SYNSCAN_REQUIRE_LAB is set: then 1).
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_scan  # noqa: E402
import lab as labmod  # noqa: E402

PORTS = "22,25,80,443,8080"
NO_RESPONSE = labmod.Expect("filtered", "no-response", 0)
_lab_counter = 0


class MissingTool(Exception):
    """A tool the test needs is not installed: a failure (scripts/setup installs them all)."""


def new_lab(**kw) -> labmod.Lab:
    """A lab with an id unique to this process and call (several labs per bench run)."""
    global _lab_counter
    _lab_counter += 1
    lab_id = f"r{os.getpid() % 0x10000:04x}{_lab_counter % 0x100:02x}{random.randrange(0x100):02x}"
    return labmod.Lab(id=lab_id, **kw)


class LabSession:
    """Context manager: lab up + reaper; lab down (and every process inside it killed) on exit."""

    def __init__(self, **kw):
        self.lab = new_lab(**kw)
        self.lifeline = None

    def __enter__(self) -> labmod.Lab:
        self.lifeline = labmod.spawn_reaper(self.lab)
        try:
            self.lab.up()
        except BaseException:
            self.__exit__()
            raise
        return self.lab

    def __exit__(self, *exc):
        try:
            self.lab.down()
        finally:
            if self.lifeline is not None:
                os.close(self.lifeline)
                self.lifeline = None
        return False


def sh(args, check=True, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError(f"command failed ({p.returncode}): {shlex.join(args)}\n{p.stderr.strip()}")
    return p


# ----------------------------------------------------------------------------------------------
# Running synscan (own runner: only the lab's scanner namespace, output files in outdir)
# ----------------------------------------------------------------------------------------------

_SUMMARY_RE = re.compile(r"replies: (\d+) matched, (\d+) duplicate, (\d+) late")
_SENT_RE = re.compile(r"sent (\d+) probes \((\d+) retries\)")


class ScanRun:
    def __init__(self, cmd, rc, wall, outdir, stderr):
        self.cmd, self.rc, self.wall, self.outdir, self.stderr = cmd, rc, wall, outdir, stderr
        self.jsonl = os.path.join(outdir, "scan.jsonl")
        self.xml = os.path.join(outdir, "scan.xml")
        self.gnmap = os.path.join(outdir, "scan.gnmap")
        m = _SUMMARY_RE.search(stderr)
        self.matched, self.duplicate, self.late = (int(x) for x in m.groups()) if m else (-1, -1, -1)
        m = _SENT_RE.search(stderr)
        self.sent, self.retries_sent = (int(x) for x in m.groups()) if m else (-1, -1)

    def summary_lines(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.startswith("synscan:")][-2:]


def run_synscan(lab, synscan, targets, ports, outdir, rate, retries, wait, extra=(), timeout=300) -> ScanRun:
    os.makedirs(outdir, exist_ok=True)
    cmd = lab.in_scanner(os.path.abspath(synscan), "-p", ports, "--rate", str(rate), "--retries",
                         str(retries), "--wait", str(wait), "--no-progress", *extra, *targets,
                         "-oX", os.path.join(outdir, "scan.xml"), "-oG", os.path.join(outdir, "scan.gnmap"),
                         "-oJ", os.path.join(outdir, "scan.jsonl"))
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        rc, err = p.returncode, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, err = "timeout", (e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
    run = ScanRun(cmd, rc, time.monotonic() - start, outdir, err)
    with open(os.path.join(outdir, "synscan.stderr"), "w") as f:
        f.write(err)
    return run


# ----------------------------------------------------------------------------------------------
# Judging a scan made under loss: exact, or degraded to filtered/no-response; nothing else
# ----------------------------------------------------------------------------------------------

def judge_lossy(exp: check_scan.Expected, run: ScanRun) -> dict:
    """Pairs from JSONL (must hold every pair exactly once) and XML (each host once, states equal to
    the JSONL's). A pair is right (== truth), degraded (truth answers, scan says
    filtered/no-response: every try lost) or wrong (any other difference: a false state)."""
    r = {"pairs": len(exp.pairs), "right": 0, "degraded": 0, "wrong": [], "missing": 0,
         "duplicates": 0, "errors": [], "open_truth": 0, "open_found": 0, "false_open": 0}
    seen = {}
    try:
        with open(run.jsonl, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                try:
                    o = json.loads(line)
                    key = (o["ip"], o["proto"], o["port"])
                    actual = labmod.Expect(o["state"], o["reason"], o["ttl"])
                except (ValueError, KeyError, TypeError) as err:
                    r["errors"].append(f"jsonl line {n}: {err}: {line[:100]!r}")
                    continue
                if key not in exp.pairs:
                    r["errors"].append(f"jsonl line {n}: {key} is not a target pair")
                elif key in seen:
                    r["duplicates"] += 1
                else:
                    seen[key] = actual
    except OSError as err:
        r["errors"].append(f"cannot read {run.jsonl}: {err}")
    for key, want in exp.pairs.items():
        got = seen.get(key)
        if want.state == "open":
            r["open_truth"] += 1
        if got is None:
            r["missing"] += 1
            continue
        if got.state == "open" and want.state != "open":
            r["false_open"] += 1
        if got == want:
            r["right"] += 1
            if want.state == "open":
                r["open_found"] += 1
        elif got == NO_RESPONSE and want.reason != "no-response":
            r["degraded"] += 1
        else:
            r["wrong"].append((key, want, got))
    # XML: well-formed, each host once, every listed port state equal to the JSONL record
    try:
        root = ET.parse(run.xml).getroot()
        hosts = {}
        for h in root.iter("host"):
            addr = next((a.get("addr") for a in h.findall("address") if a.get("addrtype") == "ipv4"), None)
            hosts[addr] = hosts.get(addr, 0) + 1
            for pe in h.iter("port"):
                key = (addr, pe.get("protocol"), int(pe.get("portid")))
                se = pe.find("state")
                x = labmod.Expect(se.get("state"), se.get("reason"), int(se.get("reason_ttl", "-1")))
                if seen.get(key) != x:
                    r["errors"].append(f"xml {key} = {x} but jsonl {seen.get(key)}")
        twice = [a for a, c in hosts.items() if c > 1]
        if twice:
            r["errors"].append(f"xml lists {len(twice)} hosts more than once, e.g. {twice[:3]}")
        r["xml_hosts"] = len(hosts)
    except (ET.ParseError, OSError, ValueError, AttributeError) as err:
        r["errors"].append(f"xml: {err}")
    r["found_pct"] = 100.0 * r["open_found"] / r["open_truth"] if r["open_truth"] else 100.0
    r["records"] = seen
    return r


def judge_delivery(exp: check_scan.Expected, r: dict, delivered: set, tries: int, loss: int) -> bool:
    """The exact statistic of a loss test: lab.delivered_replies() names every pair of which at
    least one reply got past the loss rules. Such a pair must have its true state; a pair whose
    every reply was lost (probe or reply dropped, on every try) can only be filtered/no-response.
    So the misses allowed are exactly the pairs the loss rules took completely, counted, not
    estimated from the loss rate."""
    missed, unexplained, lost_all, lost_open = [], [], 0, 0
    for key, want in exp.pairs.items():
        if want.reason == "no-response":
            continue  # no reply to lose: judge_lossy already requires the exact state
        got = r["records"].get(key)
        if key in delivered:
            if got != want:
                missed.append((key, want, got))
        else:
            lost_all += 1
            lost_open += want.state == "open"
            if got is not None and got != NO_RESPONSE:
                unexplained.append((key, want, got))
    q = 1 - (1 - loss / 100) ** 2
    print(f"  delivery: {lost_all} answering pairs ({lost_open} open) had no reply delivered in their "
          f"{tries} tries (expected from the loss rate alone ~{q ** tries * r['open_truth']:.1f} open); "
          f"open found {r['open_found']} = {r['open_truth']} - {lost_open}: "
          f"{'exact' if r['open_found'] == r['open_truth'] - lost_open else 'NOT exact'}")
    for key, want, got in missed[:20]:
        print(f"  missed although a reply got through: {key[0]}:{key[2]}/{key[1]} truth "
              f"{check_scan.fmt(want)} got {check_scan.fmt(got) if got else 'nothing'}")
    for key, want, got in unexplained[:20]:
        print(f"  reported without any delivered reply (the lab's record is incomplete): "
              f"{key[0]}:{key[2]}/{key[1]} got {check_scan.fmt(got)}")
    ok = not missed and not unexplained and r["open_found"] == r["open_truth"] - lost_open
    if not ok:
        print(f"FAIL: {len(missed)} pairs missed although a reply was delivered, "
              f"{len(unexplained)} reported without a delivered reply")
    return ok


def print_lossy(r: dict, label: str):
    print(f"[{label}] pairs {r['pairs']}: right {r['right']}, degraded to filtered/no-response "
          f"{r['degraded']}, WRONG {len(r['wrong'])}, missing {r['missing']}, duplicates {r['duplicates']}; "
          f"open found {r['open_found']}/{r['open_truth']} = {r['found_pct']:.4f} %")
    for key, want, got in r["wrong"][:20]:
        print(f"  wrong: {key[0]}:{key[2]}/{key[1]} truth {check_scan.fmt(want)} got {check_scan.fmt(got)}")
    for e in r["errors"][:20]:
        print(f"  error: {e}")


# ----------------------------------------------------------------------------------------------
# masscan (comparison only)
# ----------------------------------------------------------------------------------------------

def run_masscan(lab, targets, ports, rate, retries, outdir, probes) -> dict:
    """masscan 1.3.2 does not exit after finishing with --retries (it keeps re-sending: masscan
    issues #258/#574/#783, and #144 for the endless 'waiting'): it gets the sending time of all its
    tries + its --wait 3 + 10 s, then SIGINT twice (its 'exit now'), SIGKILL as the last resort."""
    if not shutil.which("masscan"):
        raise MissingTool("masscan not installed")
    out = os.path.join(outdir, "masscan.list")
    if os.path.exists(out):
        os.unlink(out)
    ip = masscan_ip(lab)
    # the target reaches masscan's address without ARP (masscan's own ARP answers are slower than
    # the kernel's: replies queued behind an unresolved neighbour would be dropped)
    sh(["ip", "-n", lab.target_ns, "neigh", "replace", ip, "lladdr", lab.mac("scanner"),
        "dev", lab.veth_target, "nud", "permanent"])
    budget = probes * (retries + 1) / rate + 3 + 10
    cmd = lab.in_scanner("masscan", "-p", ports, "--rate", str(rate), "--retries", str(retries),
                         "--wait", "3", "-e", lab.veth_scanner, "--adapter-ip", ip,
                         "--adapter-mac", lab.mac("scanner"), "--router-mac", lab.mac("target"),
                         *targets, "-oL", out)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    hung = False
    try:
        _, err = proc.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        hung = True
        for sig, grace in ((signal.SIGINT, 1), (signal.SIGINT, 5), (signal.SIGKILL, 5)):
            proc.send_signal(sig)
            try:
                _, err = proc.communicate(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
    wall = time.monotonic() - start
    opens, lines = set(), 0
    try:
        with open(out, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 5 and parts[0] == "open":
                    lines += 1
                    opens.add((parts[3], parts[1], int(parts[2])))
    except OSError:
        pass
    return {"cmd": cmd, "rc": proc.returncode, "wall": wall, "opens": opens, "lines": lines,
            "hung": hung, "stderr": (err or "")[-600:]}


def masscan_ip(lab) -> str:
    """An address of the link network that the scanner's kernel does not own: masscan answers ARP
    for it itself and the kernel does not reset the SYN-ACKs (masscan's documented setup)."""
    return str(lab.link_net.network_address + 100)


def judge_masscan(exp, m) -> dict:
    truth_open = {k for k, v in exp.pairs.items() if v.state == "open"}
    found = m["opens"] & truth_open
    return {"open_truth": len(truth_open), "open_found": len(found),
            "false_open": len(m["opens"] - truth_open), "duplicate_lines": m["lines"] - len(m["opens"]),
            "found_pct": 100.0 * len(found) / len(truth_open) if truth_open else 100.0}


# ----------------------------------------------------------------------------------------------
# Duplicates and delay in the target namespace
# ----------------------------------------------------------------------------------------------

def add_dup(lab) -> str:
    """Every packet the target namespace sends from the prefix is duplicated toward the scanner."""
    table = f"rdup{lab.id}"
    rules = (f"table ip {table} {{\n"
             f"  chain post {{\n"
             f"    type filter hook postrouting priority 0; policy accept;\n"
             f"    ip saddr {lab.prefix} counter dup to {lab.scanner_addr} device {lab.veth_target}\n"
             f"  }}\n}}\n")
    sh(lab.in_target("nft", "-f", "-"), input=rules)
    return table


def dup_counter(lab, table) -> int:
    out = sh(lab.in_target("nft", "list", "table", "ip", table)).stdout
    m = re.search(r"counter packets (\d+)", out)
    return int(m.group(1)) if m else -1


def find_delayer(path: str | None, workdir: str) -> str:
    """The nfq_delay binary: the given one (CMake target) or compiled here with gcc."""
    if path and os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    if not shutil.which("gcc") or not os.path.exists("/usr/include/libnetfilter_queue/libnetfilter_queue.h"):
        raise MissingTool("no nfq_delay binary and cannot build it (gcc + libnetfilter-queue-dev)")
    out = os.path.join(workdir, "nfq_delay")
    sh(["gcc", "-O2", "-Wall", "-o", out, os.path.join(HERE, "delayer", "nfq_delay.c"),
        "-lnetfilter_queue", "-lnfnetlink"])
    return out


class Delayer:
    """iptables-nft NFQUEUE rules + nfq_delay, both inside the target namespace."""
    QUEUE = 7

    def __init__(self, lab, binary, delay_ms, jitter_ms, probes_too=False, seed=1):
        if not shutil.which("iptables-nft"):
            raise MissingTool("iptables-nft not installed (apt-get install iptables)")
        self.lab, self.stats_line = lab, ""
        self.stats_file = tempfile.mktemp(prefix=f"nfqdelay-{lab.id}-")
        self.proc = subprocess.Popen(
            lab.in_target(binary, "--queue", str(self.QUEUE), "--delay-ms", str(delay_ms),
                          "--jitter-ms", str(jitter_ms), "--seed", str(seed), "--stats", self.stats_file),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"nfq_delay did not start: {line!r} rc={self.proc.poll()}")
        # replies (SYN-ACK, RST, the nft rejects' RST/ICMP) leave through OUTPUT
        sh(lab.in_target("iptables-nft", "-t", "mangle", "-A", "OUTPUT", "-s", lab.prefix,
                         "-j", "NFQUEUE", "--queue-num", str(self.QUEUE)))
        if probes_too:
            sh(lab.in_target("iptables-nft", "-t", "mangle", "-A", "PREROUTING", "-d", lab.prefix,
                             "-j", "NFQUEUE", "--queue-num", str(self.QUEUE)))

    def connect_rtts(self, n=10) -> list[float]:
        """Real TCP connects from the scanner namespace to an open port: handshake times in ms."""
        addr = next(a for a in ipaddress.IPv4Network(self.lab.prefix).hosts()
                    if labmod.truth(a, 22).state == "open")
        code = ("import socket,sys,time\nfor i in range(int(sys.argv[2])):\n"
                " t=time.monotonic(); s=socket.create_connection((sys.argv[1],22),5)\n"
                " print((time.monotonic()-t)*1000); s.close()\n")
        p = sh(self.lab.in_scanner(sys.executable or "python3", "-c", code, str(addr), str(n)))
        return [float(x) for x in p.stdout.split()]

    def kernel_queue_stats(self) -> str:
        """The kernel's side: /proc/net/netfilter/nfnetlink_queue in the target namespace
        (queue_dropped = queue full, user_dropped = netlink socket full: packets lost, not delayed)."""
        p = sh(self.lab.in_target("cat", "/proc/net/netfilter/nfnetlink_queue"), check=False)
        for line in p.stdout.splitlines():
            f = line.split()
            if len(f) >= 8 and f[0] == str(self.QUEUE):
                self.queue_dropped, self.user_dropped = int(f[5]), int(f[6])
                return f"kernel nfqueue {f[0]}: waiting {f[2]}, queue_dropped {f[5]}, user_dropped {f[6]}"
        return "kernel nfqueue: no stats"

    def stop(self) -> str:
        self.kernel_stats = self.kernel_queue_stats()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            with open(self.stats_file) as f:
                self.stats_line = f.read().strip()
            os.unlink(self.stats_file)
        except OSError:
            pass
        return self.stats_line

    def stats(self) -> dict:
        return {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+)", self.stats_line)}


# ----------------------------------------------------------------------------------------------
# Tests (each returns (ok, figures))
# ----------------------------------------------------------------------------------------------

def _outdir(args, name):
    return tempfile.mkdtemp(prefix=f"synscan-rel-{name}-")


def test_loss(args, loss, masscan=False, min_found=None, run_synscan_too=True) -> tuple[bool, dict]:
    exp = check_scan.Expected(args.targets, args.ports)
    fig = {"test": f"loss {loss}%", "loss": loss, "pairs": len(exp.pairs)}
    ok = True
    with LabSession(prefix=args.prefix, loss=loss) as lab:
        outdir = _outdir(args, f"loss{loss}")
        if run_synscan_too:
            run = run_synscan(lab, args.synscan, args.targets, args.ports, outdir, args.rate,
                              args.retries, args.wait, timeout=args.timeout)
            print(f"--- loss {loss}%: {shlex.join(run.cmd)}")
            for ln in run.summary_lines():
                print(f"  {ln}")
            r = judge_lossy(exp, run)
            print_lossy(r, f"synscan loss {loss}%")
            dropped = lab.loss_counters()
            print(f"  loss rules dropped {dropped['in']} probes and {dropped['out']} replies")
            if min(dropped.values()) <= 0:
                print("FAIL: a loss rule dropped nothing (lab problem: the test would prove nothing)")
                ok = False
            if not judge_delivery(exp, r, lab.delivered_replies(), args.retries + 1, loss):
                ok = False
            fig.update(synscan_dropped=dropped, synscan_found=r["found_pct"], synscan_open=(r["open_found"], r["open_truth"]),
                       synscan_wrong=len(r["wrong"]), synscan_degraded=r["degraded"],
                       synscan_wall=run.wall, synscan_sent=run.sent, synscan_retries=run.retries_sent)
            bad = run.rc != 0 or r["wrong"] or r["missing"] or r["duplicates"] or r["errors"]
            if bad:
                print(f"FAIL: exit {run.rc}, or wrong/missing/duplicate records; outputs kept in {outdir}")
                ok = False
            if min_found is not None and r["found_pct"] < min_found:
                print(f"FAIL: open found {r['found_pct']:.4f} % < {min_found} %")
                ok = False
        if masscan:
            m = run_masscan(lab, args.targets, args.ports, args.rate, args.retries, outdir,
                            probes=len(exp.pairs))
            j = judge_masscan(exp, m)
            print(f"  masscan: {shlex.join(m['cmd'])}\n  masscan: exit {m['rc']}"
                  f"{' (stopped: still running after its budget)' if m['hung'] else ''}, {m['wall']:.1f} s, "
                  f"open found {j['open_found']}/{j['open_truth']} = {j['found_pct']:.4f} %, "
                  f"false open {j['false_open']}, repeated lines {j['duplicate_lines']}")
            fig.update(masscan_found=j["found_pct"], masscan_open=(j["open_found"], j["open_truth"]),
                       masscan_false=j["false_open"], masscan_wall=m["wall"])
        if ok:
            shutil.rmtree(outdir, ignore_errors=True)
    return ok, fig


def _exact(exp, run) -> tuple[bool, list]:
    tallies = check_scan.check_outputs(exp, run.xml, run.gnmap, run.jsonl)
    for t in tallies:
        t.print()
    return all(t.ok for t in tallies) and run.rc == 0, tallies


def test_dup(args) -> tuple[bool, dict]:
    exp = check_scan.Expected(args.targets, args.ports)
    with LabSession(prefix=args.prefix) as lab:
        table = add_dup(lab)
        outdir = _outdir(args, "dup")
        run = run_synscan(lab, args.synscan, args.targets, args.ports, outdir, args.rate, args.retries,
                          args.wait, timeout=args.timeout)
        dups = dup_counter(lab, table)
        print(f"--- dup: {shlex.join(run.cmd)}")
        for ln in run.summary_lines():
            print(f"  {ln}")
        print(f"  nft dup rule duplicated {dups} packets")
        ok, _ = _exact(exp, run)
        if run.duplicate <= 0:
            print(f"FAIL: synscan's summary shows {run.duplicate} duplicate replies (want > 0)")
            ok = False
        if dups <= 0:
            print("FAIL: the nft dup rule duplicated nothing (lab problem)")
            ok = False
        print("RESULT:", "PASS" if ok else f"FAIL (outputs in {outdir})")
        if ok:
            shutil.rmtree(outdir, ignore_errors=True)
    return ok, {"test": "dup", "exact": ok, "matched": run.matched, "duplicate": run.duplicate,
                "late": run.late, "nft_dups": dups, "wall": run.wall}


def test_delay(args, wait=None, probes_too=None) -> tuple[bool, dict]:
    wait = args.wait if wait is None else wait
    probes_too = args.probes_too if probes_too is None else probes_too
    exp = check_scan.Expected(args.targets, args.ports)
    workdir = tempfile.mkdtemp(prefix="synscan-rel-delayer-")
    binary = find_delayer(args.delayer, workdir)
    name = f"delay {args.delay_ms:g}±{args.jitter_ms:g} ms {'both ways' if probes_too else 'replies'}, --wait {wait}"
    with LabSession(prefix=args.prefix) as lab:
        d = Delayer(lab, binary, args.delay_ms, args.jitter_ms, probes_too)
        try:
            rtts = d.connect_rtts(10)
            outdir = _outdir(args, "delay")
            run = run_synscan(lab, args.synscan, args.targets, args.ports, outdir, args.rate,
                              args.retries, wait, timeout=args.timeout)
        finally:
            d.stop()
        print(f"--- {name}: {shlex.join(run.cmd)}")
        print(f"  handshake times through the delayer (ms): min {min(rtts):.1f} max {max(rtts):.1f}")
        for ln in run.summary_lines():
            print(f"  {ln}")
        print(f"  {d.stats_line}\n  {d.kernel_stats}")
        ok, tallies = _exact(exp, run)
        if getattr(d, "queue_dropped", 0) or getattr(d, "user_dropped", 0):
            print("NOTE: the kernel dropped queued packets (the delayer fell behind): that is loss, "
                  "not delay; wrong states below may come from it")
        st = d.stats()
        lo = args.delay_ms - args.jitter_ms
        if min(rtts) < 0.9 * lo:
            print(f"FAIL: handshakes faster than the minimum delay {lo} ms: the delayer is not in the path")
            ok = False
        if st.get("reordered", 0) <= 0 and args.jitter_ms > 0:
            print("FAIL: the delayer reordered nothing")
            ok = False
        wrong_filtered = sum(1 for t in tallies for (_ip, _pp, want, act) in t.wrong
                             if isinstance(act, labmod.Expect) and act.reason == "no-response")
        print("RESULT:", "PASS" if ok else f"FAIL (outputs in {outdir})")
        if ok:
            shutil.rmtree(outdir, ignore_errors=True)
    shutil.rmtree(workdir, ignore_errors=True)
    t = tallies[0] if tallies else None
    return ok, {"test": name, "exact": ok, "wall": run.wall, "sent": run.sent, "retries": run.retries_sent,
                "late": run.late, "matched": run.matched,
                "wrong": len(t.wrong) if t else -1, "turned_filtered": wrong_filtered,
                "reordered": int(st.get("reordered", 0)), "released": int(st.get("released", 0)),
                "max_in_flight": int(st.get("max_in_flight", 0)), "lateness_ms": st.get("worst_lateness_ms", 0)}


def bench(args) -> bool:
    """The figures of the issue in one table (the /16 loss runs take ~1-2 minutes each)."""
    rows, ok = [], True
    t16 = argparse.Namespace(**{**vars(args), "targets": args.bench_targets})
    for loss in args.losses:
        good, fig = test_loss(t16, loss, masscan=not args.no_masscan)
        ok &= good
        rows.append(fig)
    t24 = argparse.Namespace(**{**vars(args), "targets": args.small_targets, "rate": 20000})
    good, dup = test_dup(t24)
    ok &= good
    good, d1 = test_delay(t24, wait=args.wait, probes_too=False)
    ok &= good
    good, d2 = test_delay(t24, wait=0.1, probes_too=False)
    ok &= good
    good, d3 = test_delay(t24, wait=args.wait, probes_too=True)
    ok &= good
    print()
    print(f"== loss: {' '.join(args.bench_targets)} x {args.ports} at --rate {args.rate} --retries {args.retries}"
          f" (synscan --wait {args.wait:g}; masscan --wait 3)")
    print(f"{'loss':>5} | {'synscan open found':>30} | {'wrong':>5} | {'degraded':>8} | {'time':>6} | "
          f"{'masscan open found':>30} | {'false':>5} | {'time':>6}")
    for f in rows:
        so = f.get("synscan_open", (0, 0))
        mo = f.get("masscan_open", (0, 0))
        ms = (f"{mo[0]}/{mo[1]} = {f['masscan_found']:.4f} %" if "masscan_found" in f else "-")
        print(f"{f['loss']:>4}% | {so[0]}/{so[1]} = {f['synscan_found']:.4f} %".ljust(39)
              + f" | {f['synscan_wrong']:>5} | {f['synscan_degraded']:>8} | {f['synscan_wall']:>5.1f}s | "
              + f"{ms:>30} | {f.get('masscan_false', '-'):>5} | {f.get('masscan_wall', 0):>5.1f}s")
    print(f"\n== duplicates ({' '.join(args.small_targets)} x {args.ports}, --rate 20000): every reply twice")
    print(f"  exact truth: {dup['exact']}  synscan matched {dup['matched']}, duplicate {dup['duplicate']}, "
          f"late {dup['late']}; nft duplicated {dup['nft_dups']} packets")
    print(f"\n== delay ({' '.join(args.small_targets)} x {args.ports}, --rate 20000, --retries {args.retries})")
    for d in (d1, d2, d3):
        print(f"  {d['test']}: exact truth {d['exact']} (wrong {d['wrong']}, turned filtered "
              f"{d['turned_filtered']}); {d['wall']:.1f} s, sent {d['sent']} ({d['retries']} retries), "
              f"late {d['late']}; delayer released {d['released']}, reordered {d['reordered']}, "
              f"max in flight {d['max_in_flight']}, worst lateness {d['lateness_ms']:.2f} ms")
    print("\nRESULT:", "PASS" if ok else "FAIL")
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synscan", required=True)
    ap.add_argument("--prefix", default=labmod.DEFAULT_PREFIX)
    ap.add_argument("--targets", nargs="+", default=["198.18.3.0/24"])
    ap.add_argument("--ports", default=PORTS)
    ap.add_argument("--rate", type=int, default=20000)
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("--wait", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=300, help="seconds one scan may run")
    ap.add_argument("--delayer", help="nfq_delay binary (default: compile delayer/nfq_delay.c)")
    ap.add_argument("--delay-ms", type=float, default=50)
    ap.add_argument("--jitter-ms", type=float, default=20)
    ap.add_argument("--probes-too", action="store_true", help="delay the probes as well as the replies")
    sub = ap.add_subparsers(dest="cmd", required=True)
    lo = sub.add_parser("loss")
    lo.add_argument("--loss", type=int, required=True)
    lo.add_argument("--min-found", type=float, default=None, help="percent of open ports to find")
    lo.add_argument("--masscan", action="store_true", help="also run masscan on the same lab")
    sub.add_parser("dup")
    sub.add_parser("delay")
    b = sub.add_parser("bench")
    b.add_argument("--losses", type=int, nargs="+", default=[1, 2, 5])
    b.add_argument("--bench-targets", nargs="+", default=["198.18.0.0/16"])
    b.add_argument("--small-targets", nargs="+", default=["198.18.3.0/24"])
    b.add_argument("--no-masscan", action="store_true")
    args = ap.parse_args(argv)

    refused = labmod.test_preflight(args.synscan)
    if refused is not None:
        return refused
    for t in args.targets + getattr(args, "bench_targets", []) + getattr(args, "small_targets", []):
        if not ipaddress.IPv4Network(t, strict=False).subnet_of(ipaddress.IPv4Network("198.18.0.0/15")):
            print(f"FAIL: target {t} is outside 198.18.0.0/15")
            return 1
    try:
        if args.cmd == "loss":
            ok, _ = test_loss(args, args.loss, masscan=args.masscan, min_found=args.min_found)
            print("RESULT:", "PASS" if ok else "FAIL")
        elif args.cmd == "dup":
            ok, _ = test_dup(args)
        elif args.cmd == "delay":
            ok, _ = test_delay(args)
        else:
            ok = bench(args)
    except MissingTool as missing:
        print(f"FAIL: {missing}")
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
