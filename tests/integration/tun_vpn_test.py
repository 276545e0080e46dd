#!/usr/bin/env python3
"""Scanning through a VPN (issue 12): the lab's target namespace behind a tun-to-tun tunnel.

    ssS<ID> (scanner)                                   ssT<ID> (target, the usual lab)
    ssuS<ID> tun 198.19.X.201 peer .202                 ssuT<ID> tun 198.19.X.202 peer .201
      |  tun_relay (this dir, C++)                          |  tun_relay
      +-- UDP 198.19.X.1:51820 <-- veth underlay --> 198.19.X.2:51820
    route <prefix> dev ssuS<ID> (no default route)      local <prefix> dev lo, nft truth rules

The scanner namespace reaches the prefix only through the tun device (link type DLT_RAW, no
MACs, no ARP); synscan runs without -e and must find the tun from the kernel's routing table.
Every (address, port) is compared with lab.truth(), as run_lab_test.py does.

  tun_vpn_test.py --synscan build/scanner/synscan --relay build/tests/integration/tun_relay \
      --targets 198.18.4.0/22 --ports 22,80,443 --rate 5000
  tun_vpn_test.py ... -sU --ports U:53,123,161
  tun_vpn_test.py ... --measure-relay        # the relay's own capacity in packets per second

Exit: 0 pass, 1 fail, 77 skipped (not root, unless SYNSCAN_REQUIRE_LAB is set).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab as labmod  # noqa: E402
import run_lab_test  # noqa: E402

UNDERLAY_PORT = 51820


class Vpn:
    """The two relays and the routing that sends the prefix through them."""

    def __init__(self, lab: labmod.Lab, relay: str):
        self.lab = lab
        self.relay = os.path.abspath(relay)
        self.tun_scanner = f"ssuS{lab.id}"
        self.tun_target = f"ssuT{lab.id}"
        base = lab.link_net.network_address
        self.inner_scanner = str(base + 201)
        self.inner_target = str(base + 202)
        self.processes: dict[str, subprocess.Popen] = {}

    def _start(self, ns_cmd, name: str, local: str, peer: str) -> subprocess.Popen:
        proc = subprocess.Popen(ns_cmd(self.relay, name, local, str(UNDERLAY_PORT), peer,
                                       str(UNDERLAY_PORT)),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
                                start_new_session=True)
        line = proc.stdout.readline().strip()
        if line != "ready":
            raise labmod.LabError(f"tun_relay {name} did not start (got {line!r})")
        self.processes[name] = proc
        return proc

    def up(self):
        lab, S, T = self.lab, self.lab.scanner_ns, self.lab.target_ns
        self._start(lab.in_scanner, self.tun_scanner, lab.scanner_addr, lab.target_addr)
        self._start(lab.in_target, self.tun_target, lab.target_addr, lab.scanner_addr)
        run = labmod._run
        for ns, dev, local, peer in ((S, self.tun_scanner, self.inner_scanner, self.inner_target),
                                     (T, self.tun_target, self.inner_target, self.inner_scanner)):
            run(["ip", "-n", ns, "addr", "add", local, "peer", peer, "dev", dev])
            run(["ip", "-n", ns, "link", "set", dev, "mtu", "1400", "up"])
            for key in ("net.ipv4.conf.all.rp_filter", f"net.ipv4.conf.{dev}.rp_filter"):
                lab._sysctl(ns, key, 0)
        # The prefix only through the tunnel: no default route left toward the veth.
        run(["ip", "-n", S, "route", "del", "default"])
        run(["ip", "-n", S, "route", "add", lab.prefix, "dev", self.tun_scanner,
             "src", self.inner_scanner])

    def counters(self) -> dict[str, str]:
        """Stops both relays and returns their closing counter lines."""
        lines = {}
        for name, proc in self.processes.items():
            if proc.poll() is None:
                proc.terminate()
            try:
                out, _ = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
            lines[name] = out.strip()
        self.processes.clear()
        return lines

    def tun_drops(self) -> int:
        out = labmod._run(["ip", "-n", self.lab.scanner_ns, "-s", "-j", "link", "show",
                           self.tun_scanner]).stdout
        import json
        stats = json.loads(out)[0]["stats64"]
        return int(stats["tx"]["dropped"])


def measure_relay(lab: labmod.Lab, vpn: Vpn, synscan: str, seconds: float) -> bool:
    """Floods the tunnel (UDP probes to dark hosts: nothing answers) faster than a relay can carry
    and reports what the scanner-side relay forwarded per second; the tun's TX drops show that
    the relay, not the sender, was the limit."""
    dark = [f"198.18.{16 * i + 15}.0/24" for i in range(16)]  # o2 % 16 == 15: no replies
    cmd = lab.in_scanner(os.path.abspath(synscan), "-sU", "-p", "1-200", "--rate", "300000",
                         "--retries", "0", "--wait", "0", "-oG", "/dev/null", *dark)
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    elapsed = time.monotonic() - start
    drops = vpn.tun_drops()
    lines = vpn.counters()
    m = re.search(r"tun->udp (\d+)", lines.get(vpn.tun_scanner, ""))
    forwarded = int(m.group(1)) if m else 0
    sent = 16 * 256 * 200
    print(f"command: {' '.join(cmd)}")
    print(f"synscan exit {proc.returncode}, {sent} probes at --rate 300000 took {elapsed:.2f} s")
    # A full tun ring refuses a send (NET_XMIT_DROP, counted as TX dropped); synscan backs off on
    # the ENOBUFS and retries, so the relay, not the sender, sets the pace.
    print(f"relay {vpn.tun_scanner}: {lines.get(vpn.tun_scanner)}; tun refused {drops} sends "
          f"(ring full, retried by synscan)")
    print(f"relay capacity: {forwarded / elapsed:.0f} pps (tun -> UDP, one direction)")
    return proc.returncode == 0 and forwarded > 0


def router_mac_refused(lab: labmod.Lab, synscan: str) -> bool:
    """--router-mac for a raw-IP interface: a usage error (exit 1), one line, nothing sent."""
    before = lab.probe_counter()
    cmd = lab.in_scanner(os.path.abspath(synscan), "-p", "22", "--router-mac", "02:00:00:00:00:01",
                         "198.18.4.1")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    after = lab.probe_counter()
    print(f"--router-mac on the tun: exit {p.returncode} (want 1), stderr {lines} (want one line "
          f"naming --router-mac), probes {before} -> {after} (want none)")
    return p.returncode == 1 and len(lines) == 1 and "--router-mac" in lines[0] and before == after


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synscan", required=True)
    ap.add_argument("--relay", required=True, help="the tun_relay binary")
    ap.add_argument("--prefix", default=labmod.DEFAULT_PREFIX)
    ap.add_argument("--targets", nargs="+", default=["198.18.4.0/22"])
    ap.add_argument("--ports", default="22,80,443")
    ap.add_argument("--rate", type=int, default=5000)
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("--wait", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=150)
    ap.add_argument("--extra", default="")
    ap.add_argument("-sS", dest="tcp", action="store_true")
    ap.add_argument("-sU", dest="udp", action="store_true")
    ap.add_argument("--interface", action="store_true",
                    help="also give -e <the scanner's tun> (the route then comes from -e)")
    ap.add_argument("--outdir")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--measure-relay", type=float, nargs="?", const=5.0, default=None,
                    metavar="SECONDS", help="measure the relay's capacity instead of scanning")
    args = ap.parse_args(argv)
    # what run_lab_test.scan_test reads
    args.loss, args.no_summary_check, args.no_json, args.json_down = 0, False, False, "all"

    refused = labmod.test_preflight(args.synscan, tools=("nft",), files=(args.relay,))
    if refused is not None:
        return refused
    lab = labmod.Lab(prefix=args.prefix)
    lifeline = labmod.spawn_reaper(lab)  # removes the lab (relays, tun devices) even on SIGKILL
    vpn = None
    try:
        lab.up()
        vpn = Vpn(lab, args.relay)
        vpn.up()
        lab.self_check()  # a real connect() and DNS query, now through the tunnel
        print(f"vpn: {vpn.tun_scanner} {vpn.inner_scanner} <-> {vpn.tun_target} {vpn.inner_target}"
              f" over UDP {lab.scanner_addr} <-> {lab.target_addr}:{UNDERLAY_PORT}")
        if args.measure_relay is not None:
            ok = measure_relay(lab, vpn, args.synscan, args.measure_relay)
        else:
            if args.interface:
                args.extra = f"{args.extra} -e {vpn.tun_scanner}"
            ok = run_lab_test.scan_test(lab, args)
            ok = router_mac_refused(lab, args.synscan) and ok
            print("relays:", vpn.counters())
    finally:
        if vpn:
            vpn.counters()
        lab.down()
        os.close(lifeline)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
