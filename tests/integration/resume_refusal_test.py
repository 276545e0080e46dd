#!/usr/bin/env python3
"""Damaged resume files end in one line and exit 1, through the real binary.

A scan writing only to -oJ /dev/null saves its state in ./synscan.resume and says so first.
An --offline scan (builds and counts probes, sends nothing, needs no root or namespace) is
interrupted with SIGINT; its resume file is then truncated, has its progress edited, claims a huge
group (checksum recomputed, as a careful editor would), has a wrong checksum, or is an older
format. `synscan --resume FILE -oG NEW` must refuse each with exactly one stderr line naming the
problem and exit 1 (README: usage error), and must not create NEW's resume state from it.

Exit: 0 pass, 1 fail.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

failures: list[str] = []


def check(condition: bool, message: str) -> None:
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        failures.append(message)


def fnv1a(data: bytes) -> int:
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def seal(body: bytes) -> bytes:
    """The format's closing line: 'end' and the FNV-1a 64 of everything before it."""
    return body + b"end %016x\n" % fnv1a(body)


def interrupted_resume_file(synscan: str, workdir: str) -> bytes:
    output = os.path.join(workdir, "first.gnmap")
    proc = subprocess.Popen([synscan, "--offline", "--rate", "5000", "--seed", "3", "-p", "1-100",
                             "198.18.0.0/20", "-oG", output],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # The first progress line comes a second after the start: the handlers are installed by then.
    line = proc.stderr.readline()
    check("sent" in line, f"the offline scan reports progress ({line.strip()})")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    check(proc.returncode == 130, f"the offline scan was interrupted (exit {proc.returncode})")
    with open(output + ".resume", "rb") as f:
        return f.read()


def placement(synscan: str, workdir: str) -> None:
    """-oJ /dev/null is no place for a neighbour file: the state goes to ./synscan.resume in the
    current directory, and the line before the first progress line says so."""
    proc = subprocess.Popen([synscan, "--offline", "--rate", "5000", "-p", "1-100", "198.18.0.0/22", "-oJ", "/dev/null"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=workdir)
    first = proc.stderr.readline()
    progress = proc.stderr.readline()
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    check(first.strip() == "synscan: resume state goes to ./synscan.resume (/dev/null is not a regular file)",
          f"the first line names the resume file ({first.strip()})")
    check("sent" in progress, f"progress follows ({progress.strip()})")
    check(proc.returncode == 130, f"interrupted (exit {proc.returncode})")
    with open(os.path.join(workdir, "synscan.resume"), "rb") as f:
        check(f.read().split(b"\n")[1] == b"status interrupted", "./synscan.resume holds the interrupted state")
    check(stat.S_ISCHR(os.stat("/dev/null").st_mode), "/dev/null is still the device")


def refusal(synscan: str, workdir: str, name: str, content: bytes, expected: str) -> None:
    path = os.path.join(workdir, name + ".resume")
    with open(path, "wb") as f:
        f.write(content)
    new = os.path.join(workdir, name + "-new.gnmap")
    proc = subprocess.run([synscan, "--resume", path, "-oG", new], capture_output=True, text=True, timeout=60)
    lines = proc.stderr.splitlines()
    check(proc.returncode == 1, f"{name}: exit 1 (got {proc.returncode})")
    check(len(lines) == 1 and lines[0].startswith("synscan: error: ") and expected in lines[0],
          f"{name}: one line naming '{expected}' ({proc.stderr.strip()[:300]})")
    check(not os.path.exists(new), f"{name}: no output written")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synscan", required=True)
    args = parser.parse_args(argv)
    synscan = os.path.abspath(args.synscan)
    if not os.access(synscan, os.X_OK):
        print(f"FAIL no synscan binary at {synscan}")
        return 1
    workdir = tempfile.mkdtemp(prefix="synscan-resume-refusal-")
    try:
        placement(synscan, workdir)
        good = interrupted_resume_file(synscan, workdir)
        check(good.split(b"\n")[1] == b"status interrupted", "the resume file says interrupted")
        body = good[:good.rindex(b"end ")]
        lines = body.split(b"\n")
        group = next((line for line in lines if line.startswith(b"group ")), None)
        check(group is not None, "the interrupted scan saved a group in flight")
        refusal(synscan, workdir, "truncated", good[:len(good) // 2], "truncated resume file")
        edited = body.replace(b"\ndone-below ", b"\ndone-below 1", 1) + good[len(body):]
        refusal(synscan, workdir, "edited-progress", edited, "checksum mismatch")
        wrong_sum = good[:-2] + (b"0" if good[-2:-1] != b"0" else b"1") + b"\n"
        refusal(synscan, workdir, "bad-checksum", wrong_sum, "checksum mismatch")
        if group is not None:
            number = group.split(b" ")[1]
            huge = body.replace(group, b"group " + number + b" 4294967295 0*4294967295")
            refusal(synscan, workdir, "huge-group", seal(huge), "claims 4294967295 entries")
        older = body.replace(b"synscan-resume 4", b"synscan-resume 2", 1) + b"end\n"
        refusal(synscan, workdir, "older-format", older, "from another synscan version")
        refusal(synscan, workdir, "not-resume", b"hello\n", "not a synscan resume file")
        # The undamaged file is accepted: it only lacks new outputs.
        path = os.path.join(workdir, "good.resume")
        with open(path, "wb") as f:
            f.write(good)
        proc = subprocess.run([synscan, "--resume", path], capture_output=True, text=True, timeout=60)
        check(proc.returncode == 1 and "needs new output files" in proc.stderr,
              f"the undamaged file is read; only the outputs are missing ({proc.stderr.strip()[:200]})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("RESULT: " + ("FAIL" if failures else "PASS"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
