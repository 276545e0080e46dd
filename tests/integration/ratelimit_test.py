#!/usr/bin/env python3
"""Targets that rate-limit their answers (issue 13): every state right, at the pace the target
answers, and --fixed-rate keeping the old fixed behaviour.

Cases (--case):
  icmp-host  One target namespace (198.18.0.4) with the kernel's DEFAULT ICMP limits put back
             (net.ipv4.icmp_ratelimit=1000, icmp_ratemask default, icmp_msgs_per_sec=1000,
             icmp_msgs_burst=50: one port unreachable a second per peer after a burst of 6; the
             lab normally turns them off). `synscan -sU -p 1-30`: first with --fixed-rate (must
             stay fast and lose answers: the flag keeps today's behaviour), then adaptive: every
             state right, within 10 % of what burst 6 + 1/s allows ((closed - 6) s), the host
             named as rate-limited on stderr and counted in the closing line.
  rst        The lab's target with an nft `limit rate over 1/second burst 5` on the RSTs it
             sends; `synscan -sS -p 10-30` (22 open, 20 closed): every state right, within 10 %
             of (closed - 5) s, the host named as limiting its RSTs.
  sources    The icmp-host target, `synscan -sU -p 1-150 -S A-B` with 11 source addresses of the
             link's subnet that no interface owns (synscan answers ARP for them): Linux's limit is
             per peer, so the host answers each source on its own budget. Every state right, far
             faster than one source allows ((148 - 6) s).
  hosts      HOSTS target hosts, one namespace each, with the kernel's default ICMP limits (a new
             namespace's own), routed behind the lab's target; `synscan -sU -p 7,9,19` (no
             listeners: closed): every state right, nothing reported rate-limited, no pacing
             delay (no host gets more than its burst of probes).
Exit 0 pass, 1 fail, 77 skipped (not root; 1 under SYNSCAN_REQUIRE_LAB).
"""
import argparse
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import lab as labmod  # noqa: E402

TARGET = "198.18.0.4"


def scan(lab, synscan, args, outdir, label, timeout):
    jsonl = os.path.join(outdir, f"{label}.jsonl")
    cmd = lab.in_scanner(synscan, *args, TARGET, "-oJ", jsonl)
    start = time.monotonic()
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=timeout)
    wall = time.monotonic() - start
    results = {}
    with open(jsonl, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            if "port" in obj and obj.get("ip") == TARGET:
                results[(obj["proto"], obj["port"])] = (obj["state"], obj["reason"])
    print(f"[{label}] {' '.join(['synscan', *args, TARGET])}: exit {proc.returncode}, wall {wall:.1f} s")
    for line in proc.stderr.splitlines():
        if "% sent" not in line:
            print(f"[{label}]   {line}")
    return proc, wall, results


def compare(results, proto, ports):
    """(right, wrong lines) against the lab's truth."""
    right, wrong = 0, []
    for port in ports:
        truth = labmod.truth(TARGET, port, proto)
        got = results.get((proto, port))
        if got == (truth.state, truth.reason):
            right += 1
        else:
            wrong.append(f"{proto}/{port}: got {got}, truth {(truth.state, truth.reason)}")
    return right, wrong


def check_adaptive(label, proc, wall, results, proto, ports, burst, kind):
    right, wrong = compare(results, proto, ports)
    closed = sum(1 for p in ports if labmod.truth(TARGET, p, proto).state == "closed")
    allowed = max(closed - burst, 0) * 1.10
    failures = []
    print(f"[{label}] {right}/{len(ports)} right; wall {wall:.1f} s, burst {burst} + 1/s allows "
          f"{closed - burst} s (+10 %: {allowed:.1f} s)")
    if proc.returncode != 0:
        failures.append(f"synscan exit {proc.returncode}")
    failures += wrong
    if wall > allowed:
        failures.append(f"wall {wall:.1f} s above {allowed:.1f} s")
    if f"{TARGET} answers ~" not in proc.stderr or f"{kind}/s: slowing down for it" not in proc.stderr:
        failures.append(f"stderr does not name {TARGET} as answering ~N {kind}/s")
    if "1 host rate-limited its answers" not in proc.stderr:
        failures.append("the closing line does not count the rate-limited host")
    return failures


def case_icmp_host(lab, synscan, outdir):
    ports = list(range(1, 31))
    labmod.restore_kernel_icmp_limits(lab.target_ns)
    args = ["-sU", "-p", "1-30"]
    proc, wall, results = scan(lab, synscan, [*args, "--fixed-rate"], outdir, "fixed-rate", 60)
    failures = []
    right, _ = compare(results, "udp", ports)
    print(f"[fixed-rate] {right}/30 right (today's behaviour: the limited answers are lost)")
    if proc.returncode != 0 or wall > 15 or right == 30 or "rate-limited" in proc.stderr:
        failures.append(f"--fixed-rate: exit {proc.returncode}, wall {wall:.1f} s, {right}/30 right: "
                        "expected the fixed behaviour (fast, answers lost, nothing detected)")
    time.sleep(7)  # the per-peer bucket refills: the kernel's burst of 6 again
    proc, wall, results = scan(lab, synscan, args, outdir, "adaptive", 120)
    return failures + check_adaptive("adaptive", proc, wall, results, "udp", ports, 6, "ICMP")


RST_LIMIT = """table inet ratelimit_rst {
  chain out {
    type filter hook output priority 0; policy accept;
    tcp flags rst limit rate over 1/second burst 5 packets drop
  }
}
"""


def case_rst(lab, synscan, outdir):
    subprocess.run(lab.in_target("nft", "-f", "-"), input=RST_LIMIT, text=True, check=True)
    ports = list(range(10, 31))
    proc, wall, results = scan(lab, synscan, ["-sS", "-p", "10-30"], outdir, "rst", 120)
    return check_adaptive("rst", proc, wall, results, "tcp", ports, 5, "RST")


def case_sources(lab, synscan, outdir):
    labmod.restore_kernel_icmp_limits(lab.target_ns)
    time.sleep(7)
    first = ipaddress.IPv4Address(lab.scanner_addr) + 9
    sources = f"{first}-{first + 10}"
    ports = list(range(1, 151))
    proc, wall, results = scan(lab, synscan, ["-sU", "-p", "1-150", "-S", sources, "-v"], outdir,
                               "sources", 120)
    right, wrong = compare(results, "udp", ports)
    closed = sum(1 for p in ports if labmod.truth(TARGET, p, "udp").state == "closed")
    one_source = closed - 6
    print(f"[sources] {right}/150 right; wall {wall:.1f} s; one source allows {one_source} s, "
          f"11 sources {max(closed - 66, 0) / 11:.1f} s")
    failures = wrong
    if proc.returncode != 0:
        failures.append(f"synscan exit {proc.returncode}")
    if wall > one_source / 5:
        failures.append(f"wall {wall:.1f} s: not 5x faster than one source allows ({one_source} s)")
    return failures


HOSTS = 64  # 198.18.1.0/24 cut into /30s, one host namespace each (~90 ms to make one)


def host_address(index: int) -> str:
    return f"198.18.1.{4 * index + 2}"


def add_hosts(lab) -> float:
    """HOSTS namespaces, each one target host on its own veth /30 behind the lab's target
    namespace (which forwards to them). Returns the seconds it took."""
    start = time.monotonic()
    labmod._run(lab.in_target("sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"))
    for index, ns in enumerate(lab.extra_namespaces):
        outer = f"rlh{index}{lab.id}"[:15]
        gateway = f"198.18.1.{4 * index + 1}"
        labmod._run(["ip", "netns", "add", ns])
        labmod._run(["ip", "-n", lab.target_ns, "link", "add", outer, "type", "veth", "peer", "name",
                     "eth0", "netns", ns])
        labmod._run(["ip", "-n", lab.target_ns, "addr", "add", f"{gateway}/30", "dev", outer])
        labmod._run(["ip", "-n", lab.target_ns, "link", "set", outer, "up"])
        labmod._run(["ip", "-n", ns, "addr", "add", f"{host_address(index)}/30", "dev", "eth0"])
        labmod._run(["ip", "-n", ns, "link", "set", "eth0", "up"])
        labmod._run(["ip", "-n", ns, "link", "set", "lo", "up"])
        labmod._run(["ip", "-n", ns, "route", "add", "default", "via", gateway])
    return time.monotonic() - start


def case_hosts(lab, synscan, outdir):
    seconds = add_hosts(lab)
    print(f"[hosts] {HOSTS} host namespaces made in {seconds:.1f} s ({seconds / HOSTS * 1000:.0f} ms each)")
    targets = [host_address(i) for i in range(HOSTS)]
    jsonl = os.path.join(outdir, "hosts.jsonl")
    cmd = lab.in_scanner(synscan, "-sU", "-p", "7,9,19", *targets, "-oJ", jsonl)
    start = time.monotonic()
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    wall = time.monotonic() - start
    got = {}
    with open(jsonl, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            if "port" in obj:
                got[(obj["ip"], obj["port"])] = (obj["state"], obj["reason"])
    wrong = [f"{ip}/udp {port}: got {got.get((ip, port))}" for ip in targets for port in (7, 9, 19)
             if got.get((ip, port)) != ("closed", "port-unreach")]
    print(f"[hosts] synscan -sU -p 7,9,19 <{HOSTS} hosts>: exit {proc.returncode}, wall {wall:.1f} s, "
          f"{3 * HOSTS - len(wrong)}/{3 * HOSTS} right")
    failures = wrong
    if proc.returncode != 0:
        failures.append(f"synscan exit {proc.returncode}")
    if "rate-limit" in proc.stderr:
        failures.append("a host was reported rate-limited: " + proc.stderr)
    if wall > 5:
        failures.append(f"wall {wall:.1f} s: every host answers at once, nothing should wait")
    return failures


CASES = {"icmp-host": case_icmp_host, "rst": case_rst, "sources": case_sources, "hosts": case_hosts}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synscan", required=True)
    ap.add_argument("--case", choices=tuple(CASES), required=True)
    args = ap.parse_args()
    refused = labmod.test_preflight(args.synscan)
    if refused is not None:
        return refused
    synscan = os.path.abspath(args.synscan)
    lab = labmod.Lab(prefix="198.18.0.0/24")
    if args.case == "hosts":  # removed by lab.down(), also by the reaper
        lab = labmod.Lab(id=lab.id, prefix="198.18.0.0/24",
                         extra_namespaces=tuple(f"ssH{i}{lab.id}"[:15] for i in range(HOSTS)))
    lifeline = labmod.spawn_reaper(lab)
    try:
        lab.up()
        with tempfile.TemporaryDirectory(prefix="synscan-ratelimit-") as outdir:
            os.chmod(outdir, 0o777)  # synscan drops to nobody; its resume file goes beside -oJ
            failures = CASES[args.case](lab, synscan, outdir)
    finally:
        lab.down()
        os.close(lifeline)
    for failure in failures:
        print(f"FAIL: {failure}")
    print("PASS" if not failures else f"FAILED ({len(failures)})")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
