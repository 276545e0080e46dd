#!/usr/bin/env python3
"""The Debian package end to end, as a user gets it: scripts/build-deb (CPack, lintian clean), then
`apt-get install ./synscan_*.deb`, then the installed tool; the package is purged at the end, also
on failure (and on SIGTERM from a ctest timeout).

  install_test.py --source-dir . --build-dir build/deb            version, man page, completion,
                                                                 a lab /24 scan with /usr/bin/synscan
  install_test.py --source-dir . --build-dir build/deb --setcap   setcap cap_net_raw,cap_net_admin+ep,
                                                                 then nobody scans the lab; the
                                                                 outputs belong to nobody

Exit: 0 pass, 1 fail (also: a synscan package already installed, a missing tool), 77 skipped (not
root, unless SYNSCAN_REQUIRE_LAB is set: then 1).
"""
from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab as labmod  # noqa: E402

BINARY = "/usr/bin/synscan"
COMPLETION = "/usr/share/bash-completion/completions/synscan"
MAN_PAGE = "/usr/share/man/man1/synscan.1.gz"
INSTALLED = (BINARY, MAN_PAGE, COMPLETION, "/usr/share/doc/synscan/copyright",
             "/usr/share/doc/synscan/changelog.gz", "/usr/share/doc/synscan/README.md",
             "/usr/share/doc/synscan/examples/udp-payloads.txt",
             "/usr/share/doc/synscan/examples/k8s/synscan-shards.yaml")
TOOLS = ("apt-get", "dpkg", "dpkg-deb", "lintian", "man", "bash", "setcap", "getcap", "setpriv")
# The lab scan every run makes: two /24s (one of them dark) x five ports, checked pair by pair.
LAB_SCAN = ["--prefix", "198.18.0.0/16", "--targets", "198.18.3.0/24", "198.18.15.0/24",
            "--ports", "22,25,80,443,8080", "--rate", "20000", "--timeout", "150"]

failures: list[str] = []


def check(condition: bool, message: str) -> bool:
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)
    return condition


def run(cmd: list[str], timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


def package_installed() -> bool:
    status = run(["dpkg-query", "-W", "-f=${Status}", "synscan"])
    return status.returncode == 0 and "install ok installed" in status.stdout


def project_version(source_dir: str) -> str:
    with open(os.path.join(source_dir, "CMakeLists.txt")) as f:
        return re.search(r"project\(synscan VERSION ([0-9.]+)", f.read()).group(1)


def build_package(source_dir: str, build_dir: str) -> str | None:
    """scripts/build-deb in its own incremental build directory: the path of the .deb, or None."""
    env = dict(os.environ, BUILD_DIR=build_dir)
    built = subprocess.run([os.path.join(source_dir, "scripts/build-deb")], cwd=source_dir, env=env,
                           capture_output=True, text=True, timeout=1500)
    lines = built.stdout.strip().splitlines()
    print("\n".join(("build-deb: " + line) for line in (built.stderr.strip().splitlines()[-5:] + lines[-3:])))
    if not check(built.returncode == 0, f"scripts/build-deb succeeded, lintian clean (exit {built.returncode})"):
        return None
    deb = os.path.join(source_dir, lines[-1]) if lines else ""
    return deb if check(os.path.isfile(deb), f"package built: {deb}") else None


def check_package_metadata(deb: str, version: str) -> None:
    fields = run(["dpkg-deb", "-f", deb, "Version", "Depends", "Section"]).stdout
    print(fields.strip())
    check(f"Version: {version}" in fields, f"package version is the project's ({version})")
    for library in ("libpcap0.8", "libnet1", "libboost-program-options", "libc6"):
        check(library in fields, f"Depends (from shlibdeps) names {library}")
    check("Section: net" in fields, "section net")


def install(deb: str) -> bool:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    result = run(["apt-get", "install", "-y", "--no-install-recommends", os.path.abspath(deb)], timeout=600, env=env)
    print("\n".join(result.stdout.strip().splitlines()[-4:]))
    return check(result.returncode == 0 and package_installed(),
                 f"apt-get install ./{os.path.basename(deb)} (exit {result.returncode}) {result.stderr.strip()[-300:]}")


def purge() -> None:
    result = run(["dpkg", "--purge", "synscan"], timeout=300)
    check(result.returncode == 0 and not package_installed(), f"dpkg --purge synscan {result.stderr.strip()[-200:]}")
    left = [path for path in INSTALLED if os.path.exists(path)]
    check(not left, f"nothing of the package is left after the purge {left}")


def check_version(version: str) -> None:
    check(shutil.which("synscan") == BINARY, f"synscan on PATH is {BINARY} ({shutil.which('synscan')})")
    output = run(["synscan", "--version"])
    lines = output.stdout.splitlines()
    print("\n".join("  | " + line for line in lines))
    check(output.returncode == 0 and len(lines) == 4, "synscan --version: exit 0, four lines")
    check(bool(lines) and lines[0] == f"synscan {version}", "first line: synscan VERSION")
    for prefix in ("git revision: ", "libpcap version ", "libnet version "):
        check(any(line.startswith(prefix) and len(line) > len(prefix) for line in lines), f"a line '{prefix}...'")


def check_man_page() -> None:
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="100", MAN_KEEP_FORMATTING="0")
    page = run(["man", "-P", "cat", "synscan"], env=env)
    text = re.sub(r".\x08", "", page.stdout)
    check(page.returncode == 0, f"man synscan renders (exit {page.returncode}) {page.stderr.strip()[:200]}")
    for needle in ("synscan - fast raw-packet", "-p, --ports", "--rate", "--output-xml, -oX FILE", "EXIT STATUS",
                   "PORT STATES AND REASONS", "open|filtered (no-response)", "SUBCOMMANDS", "synscan diff OLD NEW",
                   "setcap cap_net_raw,cap_net_admin+ep"):
        check(needle in text, f"man synscan shows '{needle}'")
    # lintian's own check: groff warnings of the installed page.
    warnings = run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", MAN_PAGE], env=env)
    check(warnings.returncode == 0 and not warnings.stderr.strip(),
          f"man --warnings -l {MAN_PAGE}: no warnings {warnings.stderr.strip()[:300]}")


def complete(words: list[str], cwd: str) -> list[str]:
    """What bash-completion's loader makes of `words` (the last one is completed), as bash
    started by a user would: the loader finds the installed script by the command's name."""
    script = r"""source /usr/share/bash-completion/bash_completion
_completion_loader synscan
spec=$(complete -p synscan) || exit 3
function=${spec#*-F }; function=${function%% *}
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
"$function" synscan "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""
    result = run(["bash", "-c", script, "complete", *words], cwd=cwd)
    if result.stderr.strip():
        print(f"  bash: {result.stderr.strip()[:300]}")
    return result.stdout.split()


def check_completion() -> None:
    workdir = tempfile.mkdtemp(prefix="synscan-complete-")
    try:
        open(os.path.join(workdir, "targets.txt"), "w").close()
        cases = [(["synscan", "--ra"], ["--rate"]), (["synscan", "me"], ["merge"]),
                 (["synscan", "-o"], ["-oX", "-oG", "-oJ", "-oA"]),
                 (["synscan", "diff", "--j"], ["--json"]), (["synscan", "-iL", "tar"], ["targets.txt"]),
                 (["synscan", "report", "-o", "tar"], ["targets.txt"])]
        for words, expected in cases:
            got = complete(words, workdir)
            check(all(word in got for word in expected), f"completing {' '.join(words)!r} offers {expected} ({got[:8]})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def lab_scan(synscan: str, outdir: str | None = None) -> bool:
    command = [sys.executable, os.path.join(HERE, "run_lab_test.py"), "--synscan", synscan, *LAB_SCAN]
    if outdir:
        command += ["--outdir", outdir]
    result = subprocess.run(command, capture_output=True, text=True, timeout=400)
    print("\n".join("  lab | " + line for line in result.stdout.strip().splitlines()[-12:]))
    if result.stderr.strip():
        print("\n".join("  lab ! " + line for line in result.stderr.strip().splitlines()[-5:]))
    return check(result.returncode == 0, f"lab /24 scan with {synscan}: every state right (exit {result.returncode})")


def setcap_scan() -> None:
    """setcap on the installed binary; nobody (no capabilities of its own) scans the lab."""
    setcap = run(["setcap", "cap_net_raw,cap_net_admin+ep", BINARY])
    capabilities = run(["getcap", BINARY]).stdout
    if not check(setcap.returncode == 0 and "cap_net_admin,cap_net_raw=ep" in capabilities,
                 f"setcap cap_net_raw,cap_net_admin+ep {BINARY}: {capabilities.strip()} {setcap.stderr.strip()}"):
        return
    nobody = pwd.getpwnam("nobody")
    wrapper_dir = tempfile.mkdtemp(prefix="synscan-setcap-")
    outdir = tempfile.mkdtemp(prefix="synscan-setcap-out-")
    try:
        os.chown(outdir, nobody.pw_uid, nobody.pw_gid)
        # The lab runs "<synscan> ARGS" inside its scanner namespace: this one runs the installed
        # binary as nobody with no inherited capabilities; only the file's capabilities remain.
        wrapper = os.path.join(wrapper_dir, "synscan-as-nobody")
        with open(wrapper, "w") as f:
            f.write(f'#!/bin/sh\nexec setpriv --reuid {nobody.pw_uid} --regid {nobody.pw_gid} --clear-groups '
                    f'--inh-caps=-all {BINARY} "$@"\n')
        os.chmod(wrapper, 0o755)
        if lab_scan(wrapper, outdir):
            for name in ("scan.xml", "scan.gnmap", "scan.jsonl"):
                path = os.path.join(outdir, name)
                owner = os.stat(path).st_uid if os.path.exists(path) else None
                check(owner == nobody.pw_uid, f"{name} is owned by nobody (uid {owner})")
    finally:
        shutil.rmtree(wrapper_dir, ignore_errors=True)
        shutil.rmtree(outdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--build-dir", required=True, help="scripts/build-deb's build directory (kept: incremental)")
    parser.add_argument("--setcap", action="store_true", help="the capabilities test instead of the install checks")
    args = parser.parse_args()
    source_dir = os.path.abspath(args.source_dir)
    refused = labmod.test_preflight(os.path.join(source_dir, "scripts/build-deb"), tools=TOOLS)
    if refused is not None:
        return refused
    if package_installed():
        print("FAIL: a synscan package is already installed; this test installs and purges its own "
              "(remove it with: dpkg --purge synscan)")
        return 1
    version = project_version(source_dir)
    deb = build_package(source_dir, os.path.abspath(args.build_dir))
    if deb is None:
        return 1
    check_package_metadata(deb, version)
    try:
        if install(deb):
            for path in INSTALLED:
                check(os.path.isfile(path), f"installed: {path}")
            if args.setcap:
                setcap_scan()
            else:
                check_version(version)
                check_man_page()
                check_completion()
                lab_scan(BINARY)
    finally:
        purge()
    print("RESULT:", "FAIL" if failures else "PASS", f"({len(failures)} failed checks)" if failures else "")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
