#!/usr/bin/env python3
"""One integration test = a fresh lab (unique id) + one synscan run + every check, lab removed in
`finally` and, should this process be killed (ctest timeout), by a detached reaper.

  run_lab_test.py --synscan build/scanner/synscan --targets 198.18.3.0/24 198.18.15.0/24 \
      --ports 22,25,80,443,8080 --rate 20000
  run_lab_test.py --synscan build/scanner/synscan --requires-privileges

Exit: 0 pass, 1 fail (also: no synscan binary, a missing lab tool), 77 skipped (not root, unless
SYNSCAN_REQUIRE_LAB is set: then 1).
"""
from __future__ import annotations

import argparse
import errno
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_scan  # noqa: E402
import lab as labmod  # noqa: E402



def scan_test(lab: labmod.Lab, args) -> bool:
    outdir = args.outdir or tempfile.mkdtemp(prefix=f"synscan-lab-{lab.id}-")
    protos = check_scan.scan_protos(args.tcp, args.udp)
    exp = check_scan.Expected(args.targets, args.ports, protos=protos)
    run = check_scan.run_synscan(lab, args.synscan, args.targets, args.ports, outdir, args.rate,
                                 args.retries, args.wait,
                                 check_scan.scan_flags(protos) + shlex.split(args.extra), args.timeout,
                                 json=not args.no_json)
    print(f"lab {lab.id}: {lab.scanner_ns} -> {lab.target_ns}, outputs in {outdir}")
    tallies = check_scan.check_outputs(exp, os.path.join(outdir, "scan.xml"),
                                       os.path.join(outdir, "scan.gnmap"),
                                       None if args.no_json else os.path.join(outdir, "scan.jsonl"),
                                       json_down=args.json_down)
    # Under loss a count may differ from the truth (a port degraded to filtered): not checked then.
    counts_ok = (args.loss or args.no_summary_check or run.timed_out or run.returncode != 0
                 or check_scan.check_summary_counts(exp, run))
    ok = check_scan.summarize(exp, tallies, run, also_ok=bool(counts_ok))
    print(f"target namespace saw {lab.probe_counter()} packets for the prefix")
    with open(os.path.join(outdir, "synscan.stderr")) as err:
        args.first_stderr_line = err.readline().strip()  # xdp_checks: it names the backend
    if ok and not args.outdir and not args.keep:
        shutil.rmtree(outdir, ignore_errors=True)
    return ok


def af_xdp_available() -> bool:
    try:
        socket.socket(44, socket.SOCK_RAW, 0).close()  # AF_XDP
    except OSError as error:
        return error.errno != errno.EAFNOSUPPORT
    return True


def xdp_checks(lab: labmod.Lab, args) -> bool:
    """After the xdp scan: its first stderr line named the backend; asking for more AF_XDP sockets
    than the veth has queues, or for a queue another synscan holds, is exit 2 with one line naming
    why; auto then takes mmsg and says why."""
    ok = True

    def check(cond: bool, what: str):
        nonlocal ok
        print(f"[xdp] {'ok' if cond else 'FAIL'}: {what}")
        ok = ok and cond

    first = args.first_stderr_line
    check(first.startswith(f"synscan: sending with xdp (AF_XDP ") and f"of {lab.veth_scanner})" in first,
          f"the first stderr line names the backend: {first!r}")
    small = ["198.18.3.0/30", "-p", "22", "--wait", "0", "--rate", "1000"]
    more = str(args.tx_threads + 1)
    p = subprocess.run(lab.in_scanner(args.synscan, *small, "--send-backend", "xdp", "--tx-threads", more),
                       capture_output=True, text=True, timeout=60)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 2 and len(lines) == 1 and "TX queue" in p.stderr,
          f"--send-backend xdp --tx-threads {more} on {args.tx_threads} queue(s): exit {p.returncode}, {lines}")
    p = subprocess.run(lab.in_scanner(args.synscan, *small, "--tx-threads", more),
                       capture_output=True, text=True, timeout=60)
    first = p.stderr.splitlines()[0] if p.stderr else ""
    check(p.returncode == 0 and first.startswith("synscan: sending with mmsg") and "AF_XDP unavailable" in first,
          f"auto with {more} threads falls back to mmsg and says why: exit {p.returncode}, {first!r}")
    # A synscan holding queue 0 (slow enough to outlast the check) makes the queue taken.
    holder_dir = tempfile.mkdtemp(prefix=f"synscan-xdp-{lab.id}-")  # its output and resume file
    holder = subprocess.Popen(lab.in_scanner(args.synscan, "198.18.3.0/24", "-p", "1-100", "--rate", "200",
                                             "--send-backend", "xdp", "-oJ", os.path.join(holder_dir, "out.jsonl")),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=holder_dir)
    try:
        started = holder.stderr.readline()
        p = subprocess.run(lab.in_scanner(args.synscan, *small, "--send-backend", "xdp"),
                           capture_output=True, text=True, timeout=60)
        lines = p.stderr.strip().splitlines()
        check(started.startswith("synscan: sending with xdp") and p.returncode == 2 and len(lines) == 1
              and "taken" in p.stderr,
              f"a second xdp synscan on a taken queue: exit {p.returncode}, {lines} (holder: {started.strip()!r})")
    finally:
        holder.send_signal(signal.SIGINT)
        try:
            holder.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            holder.kill()
            holder.communicate()
        shutil.rmtree(holder_dir, ignore_errors=True)
    return ok


def privileges_test(lab: labmod.Lab, args) -> bool:
    """synscan run as nobody inside the scanner namespace: exit 2, a one-line error, no packets."""
    # nobody must be able to execute the binary wherever the build tree lives
    tmp = tempfile.mkdtemp(prefix=f"synscan-priv-{lab.id}-")
    os.chmod(tmp, 0o755)
    binary = os.path.join(tmp, "synscan")
    shutil.copy2(args.synscan, binary)
    os.chmod(binary, 0o755)
    pcap = os.path.join(tmp, "target.pcap")
    ok = True
    dump = subprocess.Popen(lab.in_target("tcpdump", "-i", lab.veth_target, "-n", "-U", "-w", pcap,
                                          "ether", "src", lab.mac("scanner")),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # wait until tcpdump is capturing
        line = dump.stderr.readline()
        if "listening on" not in line:
            print(f"tcpdump did not start: {line.strip()}")
            return False
        before = lab.probe_counter()
        cmd = lab.in_scanner("setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups",
                             binary, "-p", args.ports, "--rate", str(args.rate), *args.targets)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        time.sleep(1.0)
        after = lab.probe_counter()
    finally:
        dump.send_signal(signal.SIGINT)
        try:
            dump.wait(5)
        except subprocess.TimeoutExpired:
            dump.kill()
            dump.wait()
    r = subprocess.run(["tcpdump", "-n", "-r", pcap], capture_output=True, text=True)
    packets = [ln for ln in r.stdout.splitlines() if ln.strip()]
    err_lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    print(f"command: {shlex.join(cmd)}")
    print(f"exit code {p.returncode} (want 2); stderr ({len(err_lines)} lines, want 1):")
    for ln in err_lines[:10]:
        print(f"  | {ln}")
    print(f"packets from the scanner seen in the target namespace: {len(packets)} (want 0); "
          f"nft probe counter {before} -> {after}")
    for ln in packets[:10]:
        print(f"  > {ln}")
    if p.returncode != 2:
        ok = False
    if len(err_lines) != 1:
        ok = False
    if p.stdout.strip():
        print(f"unexpected stdout: {p.stdout.strip()[:300]}")
        ok = False
    if packets or after != before:
        ok = False
    shutil.rmtree(tmp, ignore_errors=True)
    print("RESULT:", "PASS" if ok else "FAIL")
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synscan", required=True)
    ap.add_argument("--prefix", default=labmod.DEFAULT_PREFIX)
    ap.add_argument("--targets", nargs="+", default=["198.18.3.0/24", "198.18.15.0/24"])
    ap.add_argument("--ports", default="22,25,80,443,8080")
    ap.add_argument("--rate", type=int, default=20000)
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("--wait", type=float, default=2.0)
    ap.add_argument("--loss", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=240, help="seconds synscan may run")
    ap.add_argument("--extra", default="", help="more synscan arguments (one shell-quoted string)")
    ap.add_argument("--no-summary-check", action="store_true",
                    help="the scanner prints no synscan closing line (nmap standing in for synscan)")
    ap.add_argument("--no-json", action="store_true",
                    help="no -oJ: the output thread then skips silent hosts without building results")
    ap.add_argument("--json-down", choices=("all", "absent", "any"), default="all")
    ap.add_argument("-sS", dest="tcp", action="store_true", help="TCP SYN scan (the default)")
    ap.add_argument("-sU", dest="udp", action="store_true", help="UDP scan (with -sS: both in one run)")
    ap.add_argument("--outdir", help="keep the outputs here (default: a temp dir, removed on pass)")
    ap.add_argument("--keep", action="store_true", help="keep the temp outputs on pass too")
    ap.add_argument("--send-backend", choices=("xdp",),
                    help="scan with --send-backend xdp (one AF_XDP socket per --tx-threads on a veth with as many "
                         "queues); the first stderr line must name it, and the refusals are checked too; "
                         "skipped on kernels without AF_XDP")
    ap.add_argument("--tx-threads", type=int, default=1, help="with --send-backend: transmit threads = veth queues")
    ap.add_argument("--requires-privileges", action="store_true",
                    help="run synscan as nobody: expect exit 2, one error line, no packets")
    args = ap.parse_args(argv)

    refused = labmod.test_preflight(args.synscan)
    if refused is not None:
        return refused
    if args.send_backend == "xdp":
        if not af_xdp_available():
            # A kernel limitation, not a lab failure: skipped even under SYNSCAN_REQUIRE_LAB.
            print("SKIP: this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS): the xdp backend cannot be tested")
            return 77
        args.extra = f"{args.extra} --send-backend xdp --tx-threads {args.tx_threads}"
    lab = labmod.Lab(prefix=args.prefix, loss=args.loss, queues=args.tx_threads if args.send_backend else 1)
    lifeline = labmod.spawn_reaper(lab)  # removes the lab even if we are SIGKILLed
    try:
        lab.up()
        if args.requires_privileges:
            ok = privileges_test(lab, args)
        else:
            ok = scan_test(lab, args)
            if args.send_backend == "xdp":
                ok = xdp_checks(lab, args) and ok
    finally:
        lab.down()
        os.close(lifeline)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
