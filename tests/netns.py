"""Record every network attempt of a command, in a network namespace that has only the loopback interface.

    python tests/netns.py --log LOG [--site FOLDER=IP ...] [--host NAME=IP ...] -- COMMAND ...

must run inside `unshare -nm` (root) or `unshare -rnm`: it brings `lo` up, points the resolver at a
non-loopback address (192.0.2.53, TEST-NET: in this namespace nothing can reach it) so that every DNS
look-up shows as an attempt to a non-loopback address, serves each site folder on IP:8080 (ports cannot
collide inside a fresh namespace), puts each NAME=IP into the namespace's own /etc/hosts (a host name that
resolves into the loopback range without DNS), and runs COMMAND under `strace -f -yy` (connect, sendto, sendmsg,
sendmmsg, execve of the whole process tree; -yy names each socket's protocol and peer) into LOG. What each
site server was asked is written to LOG.requests.json (requests_seen). Nothing can leave the machine: the
namespace has no route out.

`record(command, sites, log)` does all that from a test; `attempts(log)` parses the log.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from sitesrv import start_site  # noqa: E402

PORT = 8080
TRACED = "connect,sendto,sendmsg,sendmmsg,execve"
_FD = r'(\d+)(?:<(\w+):\[([^\]]*)\]>)?'         # with strace -yy: 18<UDPv6:[src->dst]>
_SOCKADDR = re.compile(r'^\d+\s+(connect|sendto|sendmsg|sendmmsg)\(' + _FD + r', .*?'
                       r'(?:sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)'
                       r'|sin6_port=htons\((\d+)\).*?inet_pton\(AF_INET6, "([^"]+)")')
_SEND_CONNECTED = re.compile(r'^\d+\s+(sendto|sendmsg|sendmmsg)\(' + _FD)
_EXEC = re.compile(r'^(\d+)\s+execve\("([^"]+)"')


@dataclass
class Attempt:
    call: str
    address: str
    port: int
    datagram: bool = False      # on a UDP socket
    sent: bool = False          # something was sent to this address on a UDP socket

    @property
    def loopback(self) -> bool:
        ip = ipaddress.ip_address(self.address)
        mapped = getattr(ip, "ipv4_mapped", None)
        return ip.is_loopback or bool(mapped and mapped.is_loopback)

    @property
    def leaves_no_packet(self) -> bool:
        """connect() of a UDP socket that is never sent on only asks the kernel for a route: nothing leaves.
        This is Chromium's IPv6 reachability probe (HostResolverManager::StartGloballyReachableCheck, UDP
        2001:4860:4860::8888:443, at most once a second before host look-ups; here it fails with
        ENETUNREACH). Chromium 156 has no switch that stops it — see docs/ARCHITECTURE.md, «The browser
        stage's network»; a send on such a socket would count."""
        return self.call == "connect" and self.datagram and not self.sent


def _endpoint(text: str) -> tuple[str, int] | None:
    m = re.match(r'^\[?([0-9a-fA-F:.]+?)\]?:(\d+)$', text)
    return (m.group(1), int(m.group(2))) if m else None


def attempts(log: Path) -> list[Attempt]:
    """Every connect/send with an IPv4/IPv6 destination in an strace -yy log, including sends on connected
    sockets (AF_UNIX and netlink are not network)."""
    out: list[Attempt] = []
    for line in Path(log).read_text(errors="replace").splitlines():
        m = _SOCKADDR.match(line)
        if m:
            out.append(Attempt(m.group(1), m.group(6) or m.group(8), int(m.group(5) or m.group(7)),
                               datagram=(m.group(3) or "").startswith("UDP")))
            continue
        m = _SEND_CONNECTED.match(line)
        if m and m.group(3) and m.group(4) and "->" in m.group(4):
            dst = _endpoint(m.group(4).split("->", 1)[1])
            if dst:
                out.append(Attempt(m.group(1), *dst, datagram=m.group(3).startswith("UDP"), sent=True))
    sent_to = {(a.address, a.port) for a in out if a.sent}
    for a in out:
        if a.call == "connect" and a.datagram and (a.address, a.port) in sent_to:
            a.sent = True
    return out


def executed(log: Path) -> list[str]:
    """The programs started (execve) in the recorded process tree."""
    return [m.group(2) for m in map(_EXEC.match, Path(log).read_text(errors="replace").splitlines()) if m]


def unshare_prefix() -> list[str] | None:
    """How to enter a loopback-only namespace here, or None when this machine cannot."""
    if not shutil.which("unshare") or not shutil.which("strace") or not shutil.which("ip"):
        return None
    prefix = ["unshare", "-nm"] if os.geteuid() == 0 else ["unshare", "-rnm"]
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    return prefix if probe.returncode == 0 else None


def require_netns() -> None:
    """CI (.ci/run, root) sets NOK_REQUIRE_NETNS: there the namespace tests must run, never be skipped."""
    if unshare_prefix() is None:
        if os.environ.get("NOK_REQUIRE_NETNS"):
            pytest.fail("NOK_REQUIRE_NETNS: unshare -n, strace or ip is unavailable")
        pytest.skip("unshare -n, strace or ip is unavailable")


def record(command: list[str], log: Path, sites: dict[str, Path] | None = None,
           timeout: float = 600, hosts: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `command` in a loopback-only namespace under strace (see the module doc); sites: IP -> folder;
    hosts: NAME -> IP of the namespace's /etc/hosts."""
    prefix = unshare_prefix()
    if prefix is None:
        raise RuntimeError("unshare/strace/ip unavailable")
    site_args = [a for ip, folder in (sites or {}).items() for a in ("--site", f"{folder}={ip}")]
    site_args += [a for name, ip in (hosts or {}).items() for a in ("--host", f"{name}={ip}")]
    return subprocess.run([*prefix, sys.executable, __file__, "--log", str(log), *site_args, "--", *command],
                          capture_output=True, text=True, timeout=timeout, cwd=Path(__file__).parent.parent)


def requests_seen(log: Path) -> dict[str, list[dict]]:
    """IP of each site server -> the requests it was asked ({"method", "path", "headers"}), in order."""
    return json.loads(Path(f"{log}.requests.json").read_text(encoding="utf-8"))


def _inside(args) -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    etc = Path(tempfile.mkdtemp())
    (etc / "resolv.conf").write_text("nameserver 192.0.2.53\n")
    (etc / "hosts").write_text("127.0.0.1 localhost\n" + "".join(f"{h.rsplit('=', 1)[1]} {h.rsplit('=', 1)[0]}\n"
                                                                 for h in args.host))
    for name in ("resolv.conf", "hosts"):
        subprocess.run(["mount", "--bind", str(etc / name), f"/etc/{name}"], check=True)
    servers = []
    for spec in args.site:
        folder, ip = spec.rsplit("=", 1)
        servers.append(start_site(Path(folder), ip, port=PORT))
    t0 = time.monotonic()
    proc = subprocess.run(["strace", "-f", "-qq", "-yy", "-s", "64", "-e", f"trace={TRACED}", "-o", args.log, *args.command])
    print(f"elapsed {time.monotonic() - t0:.2f}", file=sys.stderr)
    for s in servers:
        s.stop()
    Path(f"{args.log}.requests.json").write_text(json.dumps(
        {s.ip: [{"method": h.method, "path": h.path, "headers": h.headers} for h in s.requests] for s in servers}))
    return proc.returncode


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--site", action="append", default=[])
    parser.add_argument("--host", action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    a = parser.parse_args()
    if a.command and a.command[0] == "--":
        a.command = a.command[1:]
    sys.exit(_inside(a))
