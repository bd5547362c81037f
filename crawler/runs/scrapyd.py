"""Running a stored run's sites on Scrapyd nodes (`nok-audit run … --nodes http://w1:6800,http://w2:6800`).

The run's queue in the store is the source of truth. The dispatcher keeps each node at its free slots: it
claims a site for a fresh worker token and schedules `audit` with `run`, `site`, `worker`, `db` and the run's
`plan` (its AuditPlan as JSON) through
Scrapyd's HTTP API (schedule.json); the job files its result itself (crawler/runs/site_job.py). It follows the
nodes with listjobs.json:
- a job that ended without filing a result (crash, killed) puts its site back in the queue (at most
  queue.MAX_ATTEMPTS times, then the site is done without result and `--resume` retries it);
- a node that stays unreachable for `dead_after` seconds has its sites put back in the queue and given to
  the other nodes. Should its jobs still finish, their results are refused by the store (the site is no
  longer theirs), so every site has exactly one result;
- sites claimed by an earlier dispatcher that died are released when their heartbeat goes stale.
"""
from __future__ import annotations

import base64
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit, urlunsplit
from urllib.request import Request, urlopen

from crawler.plan import AuditPlan
from crawler.runs.node import PROJECT, SPIDER
from crawler.store import StoreError, queue
from crawler.store.db import Store
from crawler.store.schema import DONE, RunSite

RELEASE_STALE_EVERY = 15.0


class NodeError(RuntimeError):
    pass


@dataclass
class Node:
    """A Scrapyd daemon: its URL (credentials taken out for Basic auth) and how many jobs it runs at once."""
    url: str
    slots: int
    auth: str = ""
    jobs: dict[str, tuple[queue.Claim, str]] = field(default_factory=dict)   # job id -> (claim, worker)
    down_since: float | None = None
    dead: bool = False

    @classmethod
    def parse(cls, raw: str, slots: int) -> "Node":
        parts = urlsplit(raw.strip().rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"адрес узла «{raw}» не распознан: ожидается http://сервер:6800")
        auth = ""
        if parts.username:
            auth = base64.b64encode(f"{parts.username}:{parts.password or ''}".encode()).decode()
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        return cls(urlunsplit((parts.scheme, netloc, parts.path, "", "")), slots, auth)

    @property
    def label(self) -> str:
        return "node-" + urlsplit(self.url).netloc.replace(":", "-")

    def call(self, endpoint: str, data: dict | None = None, timeout: float = 10.0) -> dict:
        url = f"{self.url}/{endpoint}"
        body = None
        if data is None:
            url += "?" + urlencode({"project": PROJECT})
        else:
            body = urlencode(data).encode()
        request = Request(url, data=body)
        if self.auth:
            request.add_header("Authorization", f"Basic {self.auth}")
        try:
            with urlopen(request, timeout=timeout) as response:
                answer = json.loads(response.read().decode("utf-8"))
        except (HTTPError, URLError, OSError, ValueError) as exc:
            raise NodeError(f"{self.url}: {getattr(exc, 'reason', exc)}") from None
        if answer.get("status") != "ok":
            raise NodeError(f"{self.url}: {answer.get('message', answer)}")
        return answer


class Dispatcher:
    def __init__(self, store: Store, run_id: int, nodes: list[Node], node_db: str, plan: AuditPlan, *,
                 poll: float = 0.5, dead_after: float = 20.0, log=None):
        self.store, self.run_id, self.nodes, self.node_db = store, run_id, nodes, node_db
        self.plan = plan.to_json()
        self.poll, self.dead_after = poll, dead_after
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.last_release = 0.0

    def run(self) -> queue.Progress:
        while True:
            for node in self.nodes:
                self._follow(node)
            self._fill()
            if time.monotonic() - self.last_release > RELEASE_STALE_EVERY:
                self.last_release = time.monotonic()
                # Jobs still queued on a live node have not started their own heartbeat yet.
                for node in self.nodes:
                    for _claim, worker in ([] if node.dead else node.jobs.values()):
                        queue.heartbeat(self.store, worker)
                if queue.release_stale(self.store, self.run_id):
                    self.log("  сайты прерванного прежнего запуска возвращены в очередь")
            p = queue.progress(self.store, self.run_id)
            in_flight = sum(len(n.jobs) for n in self.nodes)
            if p.pending == 0 and p.running == 0 and in_flight == 0:
                return p
            if all(n.dead for n in self.nodes) and p.pending:
                raise NodeError("ни один узел Scrapyd не отвечает — прогон остановлен, продолжите с --resume")
            time.sleep(self.poll)

    # -- following the nodes ------------------------------------------------------------------------------
    def _follow(self, node: Node) -> None:
        try:
            answer = node.call("listjobs.json", timeout=5.0)
        except NodeError as exc:
            now = time.monotonic()
            node.down_since = node.down_since or now
            if not node.dead and now - node.down_since >= self.dead_after:
                node.dead = True
                self.log(f"  узел {node.url} недоступен {self.dead_after:g} с ({exc}); его сайты переданы другим узлам")
                for claim, worker in node.jobs.values():
                    queue.release(self.store, claim, worker, f"узел {node.url} недоступен — передан другому узлу")
                node.jobs.clear()
            return
        if node.dead:
            self.log(f"  узел {node.url} снова отвечает")
        node.down_since, node.dead = None, False
        alive = {j["id"] for key in ("pending", "running") for j in answer.get(key, [])}
        for job_id in [j for j in node.jobs if j not in alive]:
            claim, worker = node.jobs.pop(job_id)
            self._job_ended(node, claim, worker)

    def _job_ended(self, node: Node, claim: queue.Claim, worker: str) -> None:
        with self.store.session() as s:
            site = s.get(RunSite, claim.site_id)
            done, mine = site.status == DONE, site.worker == worker
        if done:
            self.log(f"  {claim.name} ({claim.url}): {site.note} [{node.url}]")
            return
        if not mine:
            return                              # released and taken elsewhere meanwhile
        queue.retry_or_fail(self.store, claim, worker, f"задание на узле {node.url} завершилось без результата")

    # -- scheduling ---------------------------------------------------------------------------------------
    def _fill(self) -> None:
        for node in self.nodes:
            while not node.dead and len(node.jobs) < node.slots:
                worker = f"{node.label}:{uuid.uuid4().hex[:12]}"
                claim = queue.claim(self.store, self.run_id, worker)
                if claim is None:
                    return
                job_id = uuid.uuid4().hex
                try:
                    node.call("schedule.json", {"project": PROJECT, "spider": SPIDER, "jobid": job_id,
                                                "run": str(self.run_id), "site": str(claim.site_id),
                                                "worker": worker, "db": self.node_db, "plan": self.plan})
                except NodeError as exc:
                    queue.release(self.store, claim, worker, "узел не принял задание")
                    node.down_since = node.down_since or time.monotonic()
                    self.log(f"  узел {node.url} не принял задание: {exc}")
                    break
                node.jobs[job_id] = (claim, worker)


def check_nodes(nodes: list[Node]) -> None:
    """Before anything is claimed: every node answers and knows the project's `audit` spider."""
    for node in nodes:
        if SPIDER not in node.call("listspiders.json").get("spiders", []):
            raise NodeError(f"{node.url}: проект {PROJECT} без паука {SPIDER} (см. nok-audit node-config)")


def parse_nodes(raw: str, slots: int) -> list[Node]:
    nodes = [Node.parse(part, slots) for part in raw.split(",") if part.strip()]
    if not nodes:
        raise ValueError("не указан ни один узел (--nodes http://сервер:6800,…)")
    return nodes



def run_on_nodes(store: Store, run_id: int, nodes: list[Node], node_db: str, plan: AuditPlan,
                 dead_after: float) -> None:
    """The run's pending sites as jobs on `nodes` until none is left; StoreError (with the resume command)
    when the nodes give out."""
    print(f"Узлы Scrapyd: {', '.join(n.url for n in nodes)} (заданий на узле: {nodes[0].slots})", file=sys.stderr)
    try:
        Dispatcher(store, run_id, nodes, node_db, plan, dead_after=dead_after).run()
    except NodeError as exc:
        raise StoreError(f"{exc}; прогон {run_id}: nok-audit run --resume {run_id} --nodes …") from None
