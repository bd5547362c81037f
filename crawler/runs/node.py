"""A Scrapyd worker node's configuration (written by `nok-audit node-config DIR`, crawler/cli/node_config.py).

The project is made available to Scrapyd as the installed package, not as an egg: the node's folder holds
`scrapyd.conf` (address, port, slots, Basic auth, where logs go) and `scrapy.cfg` whose `[settings]` section
names the project `nok_audit` → `crawler.settings`. Scrapyd started in that folder with the venv's
`scrapyd` lists the project and runs `scrapy crawl audit -a run=… -a site=…` with the venv's Python, so a
node is the usual two-command set-up plus this folder and a service.
"""
from __future__ import annotations

import sys
from pathlib import Path

PROJECT = "nok_audit"     # the Scrapyd project name of nok-audit
SPIDER = "audit"          # its spider (crawler/spiders/audit.py), by name as Scrapyd and the in-process worker run it

_UNIT = """[Unit]
Description={description}
Wants=network-online.target
After=network-online.target

[Service]
User={user}
WorkingDirectory={folder}
Environment=LANG=C.UTF-8 PYTHONIOENCODING=utf-8
{environment}ExecStart={command}
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""


def systemd_unit(description: str, user: str, folder: Path, command: str, environment: str = "") -> str:
    """A systemd unit for a long-running nok-audit service (a Scrapyd node, the web page); `environment` is
    extra `Environment=` lines."""
    return _UNIT.format(description=description, user=user, folder=folder, command=command,
                        environment=environment)


def node_files(folder: Path, *, port: int = 6800, bind: str = "127.0.0.1", slots: int = 2, username: str = "",
               password: str = "", poll: float = 0.5) -> dict[str, str]:
    folder = Path(folder).resolve()
    scrapyd = f"""# Scrapyd worker node for nok-audit (written by nok-audit node-config).
# Never expose this API to the internet: bind to a private address and firewall the port to the dispatcher.
[scrapyd]
bind_address = {bind}
http_port = {port}
username = {username}
password = {password}
max_proc = {slots}
poll_interval = {poll:g}
logs_dir = {folder / 'logs'}
eggs_dir = {folder / 'eggs'}
dbs_dir = {folder / 'dbs'}
items_dir =
jobs_to_keep = 20
finished_to_keep = 1000

[settings]
{PROJECT} = crawler.settings
"""
    cfg = f"# Lets Scrapyd's job runner find the nok-audit project (the installed package).\n" \
          f"[settings]\n{PROJECT} = crawler.settings\n"
    return {"scrapyd.conf": scrapyd, "scrapy.cfg": cfg}


def write_node_config(folder: Path, **options) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in node_files(folder, **options).items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        if options.get("password"):
            path.chmod(0o600)
        written.append(path)
    return written


def scrapyd_binary() -> Path:
    return Path(sys.executable).parent / "scrapyd"


def service_unit(folder: Path, user: str = "nok") -> str:
    folder = Path(folder).resolve()
    return systemd_unit(f"Scrapyd worker node for nok-audit ({folder})", user, folder, scrapyd_binary())
