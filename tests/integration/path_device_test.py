#!/usr/bin/env python3
"""A stateful device in the path of the lab (issue 13): a connection-tracking table of 30,000
entries living 1 s (lab.py: nft_conntrack_ruleset) in front of the /16, so new flows are dropped
while it is full. One scan through it, every (host, port) state compared with the lab's truth.

  # measure (exit 0 whenever the scan ran; figures on stdout):
  path_device_test.py --synscan build/scanner/synscan
  path_device_test.py --synscan build/scanner/synscan --nmap          # nmap -T5 instead
  path_device_test.py --synscan build/scanner/synscan --no-device     # the same lab without it
  # test (exit 1 unless >= 99.99 % of the states are right within 60 s of wall time):
  path_device_test.py --synscan build/scanner/synscan --min-right 99.99 --max-seconds 60

Printed: states right (of every pair, dark hosts included), open ports found, wall time, the
mismatches by (truth -> reported), the device's counters (flows tracked, packets dropped while
full) and synscan's closing lines. Exit: 0 pass (or measured), 1 fail, 77 skipped (not root,
unless SYNSCAN_REQUIRE_LAB is set).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab as labmod  # noqa: E402


def run(cmd: list[str], timeout: float, err_path: str) -> tuple[int, float, bool]:
    start = time.monotonic()
    with open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        try:
            rc = proc.wait(timeout=timeout)
            return rc, time.monotonic() - start, False
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            return -1, time.monotonic() - start, True


def synscan_states(path: str) -> dict:
    states = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            states[(obj["ip"], obj["port"])] = (obj["state"], obj["reason"])
    return states


def nmap_states(path: str) -> dict:
    """Every port nmap listed; a pair it did not list is filtered/no-response (as -Pn reports)."""
    states = {}
    for host in ET.parse(path).getroot().iter("host"):
        ip = host.find("address").get("addr")
        for port in host.iter("port"):
            st = port.find("state")
            states[(ip, int(port.get("portid")))] = (st.get("state"), st.get("reason"))
    return states


def compare(states: dict, targets: list[str], ports: list[int]) -> tuple[int, int, int, int, collections.Counter]:
    right = total = open_true = open_found = 0
    wrong: collections.Counter = collections.Counter()
    for addr in labmod.expand_targets(targets):
        for port in ports:
            want = labmod.truth(addr, port)
            got = states.get((str(addr), port), ("filtered", "no-response"))
            total += 1
            if want.state == "open":
                open_true += 1
                open_found += got[0] == "open"
            if got == (want.state, want.reason):
                right += 1
            else:
                wrong[(f"{want.state}/{want.reason}", f"{got[0]}/{got[1]}")] += 1
    return right, total, open_found, open_true, wrong


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synscan", required=True)
    ap.add_argument("--targets", nargs="+", default=["198.18.0.0/16"])
    ap.add_argument("--ports", default=",".join(map(str, labmod.DEFAULT_PORTS)))
    ap.add_argument("--rate", type=int, default=50000)
    ap.add_argument("--conntrack", default="%d:%d" % labmod.CONNTRACK_DEFAULT,
                    help="ENTRIES:LIFETIME_MS of the device's table (default %(default)s)")
    ap.add_argument("--no-device", action="store_true", help="the same lab without the device")
    ap.add_argument("--extra", default="", help="more synscan arguments (one shell-quoted string)")
    ap.add_argument("--nmap", action="store_true", help="scan with nmap -T5 instead of synscan")
    ap.add_argument("--progress", action="store_true", help="keep synscan's progress lines (stderr)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds the scanner may run")
    ap.add_argument("--min-right", type=float, help="fail below this percentage of right states")
    ap.add_argument("--max-seconds", type=float, help="fail when the scan takes longer")
    ap.add_argument("--outdir", help="keep the outputs here (default: a temp dir, removed)")
    args = ap.parse_args(argv)

    refused = labmod.test_preflight(args.synscan, tools=("nmap",) if args.nmap else ())
    if refused is not None:
        return refused
    ports = labmod.parse_ports(args.ports)
    conntrack = None if args.no_device else tuple(int(x) for x in args.conntrack.split(":"))
    lab = labmod.Lab(conntrack=conntrack)
    lifeline = labmod.spawn_reaper(lab)
    outdir = args.outdir or tempfile.mkdtemp(prefix=f"synscan-pathdev-{lab.id}-")
    os.makedirs(outdir, exist_ok=True)
    err_path = os.path.join(outdir, "scanner.stderr")
    try:
        lab.up()
        if args.nmap:
            out = os.path.join(outdir, "nmap.xml")
            cmd = lab.in_scanner("nmap", "-sS", "-n", "-Pn", "-T5", "--reason", "-p", args.ports,
                                 "-oX", out, *args.targets)
        else:
            out = os.path.join(outdir, "scan.jsonl")
            cmd = lab.in_scanner(os.path.abspath(args.synscan), "-p", args.ports, "--rate", str(args.rate),
                                 *([] if args.progress else ["--no-progress"]), *shlex.split(args.extra),
                                 "-oJ", out, *args.targets)
        print("command:", shlex.join(cmd))
        rc, seconds, timed_out = run(cmd, args.timeout, err_path)
        device = lab.conntrack_counters() if conntrack else {}
    finally:
        lab.down()
        os.close(lifeline)
    with open(err_path, encoding="utf-8", errors="replace") as f:
        stderr = f.read()
    for line in stderr.splitlines()[-40 if args.progress else -8:]:
        print(f"  | {line}")
    if timed_out or rc != 0:
        print(f"RESULT: FAIL (exit {rc}{', timed out' if timed_out else ''} after {seconds:.1f} s)")
        return 1
    states = nmap_states(out) if args.nmap else synscan_states(out)
    right, total, open_found, open_true, wrong = compare(states, args.targets, ports)
    pct = 100.0 * right / total
    print(f"device: {'none' if not conntrack else '%d entries, %d ms' % conntrack} {device}")
    print(f"states right: {right} of {total} ({pct:.3f} %); open found: {open_found} of {open_true} "
          f"({100.0 * open_found / open_true:.3f} %); wall time {seconds:.1f} s")
    for (want, got), n in wrong.most_common(8):
        print(f"  {n:>7}  {want} reported {got}")
    ok = True
    if args.min_right is not None and pct < args.min_right:
        print(f"FAIL: {pct:.3f} % right < {args.min_right} %")
        ok = False
    if args.max_seconds is not None and seconds > args.max_seconds:
        print(f"FAIL: {seconds:.1f} s > {args.max_seconds} s")
        ok = False
    if not args.outdir:
        import shutil
        shutil.rmtree(outdir, ignore_errors=True)
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
