#!/usr/bin/env python3
"""lab_ndp_ipv6: the IPv6 next hop against a real kernel, in two namespaces this test creates.

A veth pair joins namespace A (the scanner side, 2001:2:0:1::1/64) and B (2001:2:0:1::2/64, and
fe80::b); A routes 2001:2:0:2::/64 via 2001:2:0:1::2 and 2001:2:0:3::/64 via fe80::b, and has a
tun device with 2001:2:0:4::1/64. tests/integration/ndp_resolve (the route lookup and NDP code of
scanner/src/next_hop_ipv6.cpp and ndp.cpp) runs inside A and must find: an on-link neighbour's MAC
by our own solicitation (the neighbour table flushed first), a global and a link-local gateway's,
a permanent neighbour-table entry nobody would answer for, --router-mac taking precedence, no
answer as exit 2 within the solicitation timeouts, a tun link needing no NDP (and refusing
--router-mac), and no route as one error line. Addresses: 2001:2::/48 only, inside namespaces this
test created and removes (also on failure). About 5 s.
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402


def run(args, check=True):
    p = subprocess.run(args, text=True, capture_output=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {p.stderr.strip()}")
    return p


class Pair:
    def __init__(self, suffix):
        self.a, self.b = f"s6n{suffix}a", f"s6n{suffix}b"

    def up(self):
        for ns in (self.a, self.b):
            run(["ip", "netns", "add", ns])
            for key in ("all", "default"):
                run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                     f"net.ipv6.conf.{key}.accept_dad=0"])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "-n", self.a, "link", "add", "va", "type", "veth", "peer", "name", "vb",
             "netns", self.b])
        a, b = ["ip", "-n", self.a], ["ip", "-n", self.b]
        run(a + ["-6", "addr", "add", "2001:2:0:1::1/64", "dev", "va", "nodad"])
        run(b + ["-6", "addr", "add", "2001:2:0:1::2/64", "dev", "vb", "nodad"])
        run(b + ["-6", "addr", "add", "fe80::b/64", "dev", "vb", "nodad"])
        run(a + ["link", "set", "va", "up"])
        run(b + ["link", "set", "vb", "up"])
        run(a + ["-6", "route", "add", "2001:2:0:2::/64", "via", "2001:2:0:1::2"])
        run(a + ["-6", "route", "add", "2001:2:0:3::/64", "via", "fe80::b", "dev", "va"])
        run(a + ["-6", "neigh", "add", "2001:2:0:1::7", "lladdr", "02:00:00:00:00:77", "dev", "va",
                 "nud", "permanent"])
        run(a + ["tuntap", "add", "dev", "t6", "mode", "tun"])
        run(a + ["-6", "addr", "add", "2001:2:0:4::1/64", "dev", "t6", "nodad"])
        run(a + ["link", "set", "t6", "up"])
        self.mac_b = run(b + ["-o", "link", "show", "vb"]).stdout.split("link/ether ")[1].split()[0]
        return self

    def down(self):
        for ns in (self.a, self.b):
            run(["ip", "netns", "del", ns], check=False)


def resolve(tool, pair, target, *options, flush=True):
    if flush:
        run(["ip", "-n", pair.a, "-6", "neigh", "flush", "dev", "va"], check=False)
    started = time.monotonic()
    p = run(["ip", "netns", "exec", pair.a, tool, target, *options], check=False)
    fields = p.stdout.split()
    return p.returncode, dict(zip(fields[::2], fields[1::2])), p.stderr.strip(), \
        time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    args = parser.parse_args()
    if os.geteuid() != 0:
        return lab.cannot_run("the NDP test needs root (network namespaces)")
    missing = lab.missing_tools(["ip"], [args.tool])
    if missing:
        print(f"FAIL: missing {', '.join(missing)}")
        return 1
    pair = Pair(lab.new_id())
    failures = []

    def expect(name, condition, detail):
        print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))
        if not condition:
            failures.append(name)

    try:
        pair.up()
        rc, out, err, _ = resolve(args.tool, pair, "2001:2:0:1::2")
        expect("on-link neighbour by solicitation",
               rc == 0 and out.get("mac") == pair.mac_b and out.get("gateway") == "-"
               and out.get("on_link") == "1" and out.get("interface") == "va"
               and out.get("source") == "2001:2:0:1::1", (rc, out, err))
        rc, out, err, _ = resolve(args.tool, pair, "2001:2:0:2::99")
        expect("global gateway", rc == 0 and out.get("gateway") == "2001:2:0:1::2"
               and out.get("on_link") == "0" and out.get("mac") == pair.mac_b, (rc, out, err))
        rc, out, err, _ = resolve(args.tool, pair, "2001:2:0:3::5")
        expect("link-local gateway", rc == 0 and out.get("gateway") == "fe80::b"
               and out.get("mac") == pair.mac_b, (rc, out, err))
        rc, out, err, _ = resolve(args.tool, pair, "2001:2:0:1::7", flush=False)
        expect("permanent neighbour-table entry", rc == 0 and out.get("mac") == "02:00:00:00:00:77",
               (rc, out, err))
        rc, out, err, _ = resolve(args.tool, pair, "2001:2:0:2::99", "--router-mac",
                                  "02:aa:bb:cc:dd:ee")
        expect("--router-mac wins", rc == 0 and out.get("mac") == "02:aa:bb:cc:dd:ee",
               (rc, out, err))
        rc, out, err, took = resolve(args.tool, pair, "2001:2:0:1::9")
        expect("nobody answers: exit 2 after the three solicitations",
               rc == 2 and out.get("mac") == "-" and 0.8 < took < 10, (rc, out, err, took))
        rc, out, err, _ = resolve(args.tool, pair, "2001:2:0:4::2")
        expect("tun: bare IPv6, no NDP", rc == 0 and out.get("link") == "none"
               and out.get("interface") == "t6" and out.get("mac") == "-", (rc, out, err))
        rc, out, err, _ = resolve(args.tool, pair, "2001:2:0:4::2", "--router-mac",
                                  "02:aa:bb:cc:dd:ee")
        expect("tun refuses --router-mac", rc == 1 and "--router-mac" in err, (rc, out, err))
        rc, out, err, _ = resolve(args.tool, pair, "2001:2:0:5::1")
        expect("no route: one error line", rc == 1 and err.startswith("ndp_resolve: no route")
               and len(err.splitlines()) == 1, (rc, out, err))
    finally:
        pair.down()
    leftover = {pair.a, pair.b} & lab.existing_namespaces()
    expect("namespaces removed", not leftover, leftover)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
