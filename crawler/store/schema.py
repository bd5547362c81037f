"""Tables of the run store (SQLAlchemy 2 declarative). Migrations in `migrations/versions` create them; a
test compares this module with the migrated database so the two never drift apart.

A run audits a list of organisations; `run_sites` is its work queue (one row per organisation, claimed
atomically by a worker); a finished site has exactly one `results` row (unique on run_site_id), written in
the same transaction that marks the site done. Every file of the site's evidence pack is an `artefacts`
row pointing at a content-addressed, compressed `blobs` row, so pages that did not change between monthly
runs are stored once. `findings`, `controls`, `scores` and `errors` repeat the report's key facts as rows
for queries and diffs; the report itself is `results.report`.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


# run_sites.status
PENDING, RUNNING, DONE = "pending", "running", "done"
# runs.status
RUN_ACTIVE, RUN_FINISHED = "active", "finished"


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="audit")            # audit | rescore
    parent_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=RUN_ACTIVE)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tool_version: Mapped[str] = mapped_column(String(32))
    registry_file: Mapped[str] = mapped_column(Text, default="")             # the registry file as given
    registry_sha256: Mapped[str] = mapped_column(String(64), default="")
    checklist: Mapped[str] = mapped_column(Text, default="")                 # file given, "" = built-in
    methodology: Mapped[str] = mapped_column(Text, default="")
    # the run's AuditPlan as {"plan": JSON} (crawler/plan.py); runs stored before plans: a list of check options
    check_args: Mapped[dict | list] = mapped_column(JSON, default=dict)
    out_dir: Mapped[str] = mapped_column(Text, default="")


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)               # the site's host: stable id
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    sector: Mapped[str] = mapped_column(String(32), default="social")
    region: Mapped[str] = mapped_column(Text, default="")
    inn: Mapped[str] = mapped_column(String(12), default="")
    ogrn: Mapped[str] = mapped_column(String(15), default="")
    bus_gov_id: Mapped[str] = mapped_column(String(64), default="")
    extra_hosts: Mapped[list] = mapped_column(JSON, default=list)


class RunSite(Base):
    __tablename__ = "run_sites"
    __table_args__ = (UniqueConstraint("run_id", "org_id"), Index("ix_run_sites_run_status", "run_id", "status"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    row: Mapped[int] = mapped_column(Integer, default=0)                     # registry row, for messages
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(255), default="")             # host:pid:token of the claimer
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(32), default="")             # checked | unreachable | failed
    note: Mapped[str] = mapped_column(Text, default="")


class Result(Base):
    __tablename__ = "results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_site_id: Mapped[int] = mapped_column(ForeignKey("run_sites.id", ondelete="CASCADE"), unique=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entry_ok: Mapped[bool] = mapped_column(Boolean)
    crawl_status: Mapped[str] = mapped_column(String(32), default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    present: Mapped[int] = mapped_column(Integer, default=0)
    absent: Mapped[int] = mapped_column(Integer, default=0)
    unknown: Mapped[int] = mapped_column(Integer, default=0)
    share_1_1: Mapped[float | None] = mapped_column(Float)
    total_score: Mapped[float | None] = mapped_column(Float)
    checklist_id: Mapped[str] = mapped_column(String(64), default="")
    checklist_version: Mapped[str] = mapped_column(String(64), default="")
    report: Mapped[dict] = mapped_column(JSON)


class Finding(Base):
    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    indicator: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16))
    works: Mapped[bool | None] = mapped_column(Boolean)
    evidence_url: Mapped[str] = mapped_column(Text, default="")


class Control(Base):
    __tablename__ = "controls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    works: Mapped[bool | None] = mapped_column(Boolean)
    method: Mapped[str] = mapped_column(String(32), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class Score(Base):
    __tablename__ = "scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(16))                              # 1.1 … 5.3, К1 … К5, total
    value: Mapped[float | None] = mapped_column(Float)


class Error(Base):
    __tablename__ = "errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64), default="")
    url: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")


class Blob(Base):
    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)        # of the uncompressed bytes
    size: Mapped[int] = mapped_column(Integer)
    compressed: Mapped[bool] = mapped_column(Boolean)                         # zlib; off for gz/png/pdf
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Artefact(Base):
    __tablename__ = "artefacts"
    __table_args__ = (UniqueConstraint("result_id", "path"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)                                   # relative, "/"-separated
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    size: Mapped[int] = mapped_column(Integer)
