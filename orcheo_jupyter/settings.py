"""Where things live and how runs persist, from ``ORCHEO_*`` environment variables.

The server extension maps its traitlets onto the same fields, so a kernel and the
server agree on the data directory without talking to each other.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from .spec.values import DEFAULT_MAX_DEPTH, ValueLimits
from .store.encoding import DEFAULT_MAX_VALUE_BYTES
from .store.sqlite_thread import DEFAULT_WAL_LIMIT_BYTES

Durability = Literal["sync", "async", "exit"]


def default_data_dir() -> Path:
    env = os.environ.get("ORCHEO_DATA_DIR")
    if env:
        return Path(env).expanduser()
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "orcheo"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    repository_backend: str = "sqlite"
    repository_path: Path | None = None
    checkpoint_backend: str = "sqlite"
    checkpoint_path: Path | None = None
    postgres_dsn: str | None = None
    durability: Durability = "async"
    #: Postgres connections per pool (one pool for the repository, one for checkpoints).
    postgres_pool_size: int = 10
    #: ``local`` runs in the server process; ``celery`` enqueues runs for workers.
    executor: str = "local"
    #: Celery broker and event fan-out (``redis://host:port/db``) when executor is celery.
    broker_url: str | None = None
    #: Under the ``async`` policy a run persists at most one checkpoint per this many
    #: seconds (plus its last); ``sync`` persists every checkpoint.
    checkpoint_interval: float = 0.02
    #: The most one stored value may take: an event (a node's output), a run's inputs
    #: or final state, a checkpoint row. A run that makes a bigger one fails, alone.
    max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES
    #: SQLite ``-wal`` files are truncated soon after they outgrow this.
    wal_limit_bytes: int = DEFAULT_WAL_LIMIT_BYTES
    #: Deepest nesting of run inputs and request bodies (spec/values.py explains why).
    max_input_depth: int = DEFAULT_MAX_DEPTH
    #: Keep each run's OpenTelemetry spans with the run (its Trace tab, GET .../trace).
    trace_store: bool = False

    @property
    def checkpoint_min_interval(self) -> float:
        return self.checkpoint_interval if self.durability == "async" else 0.0

    @property
    def repository_file(self) -> Path:
        return self.repository_path or self.data_dir / "orcheo.sqlite"

    @property
    def checkpoint_file(self) -> Path:
        return self.checkpoint_path or self.data_dir / "checkpoints.sqlite"

    @property
    def triggers_file(self) -> Path:
        """The embedded trigger service's state (schedules, deliveries, jobs)."""
        return self.data_dir / "triggers.sqlite"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        settings = cls(
            data_dir=default_data_dir(),
            repository_backend=env.get("ORCHEO_REPOSITORY_BACKEND", "sqlite"),
            repository_path=_path(env.get("ORCHEO_REPOSITORY_SQLITE_PATH")),
            checkpoint_backend=env.get("ORCHEO_CHECKPOINT_BACKEND", "sqlite"),
            checkpoint_path=_path(env.get("ORCHEO_SQLITE_PATH")),
            postgres_dsn=env.get("ORCHEO_POSTGRES_DSN"),
            durability=_durability(env.get("ORCHEO_DURABILITY", "async")),
            postgres_pool_size=int(env.get("ORCHEO_POSTGRES_POOL_SIZE", "10")),
            executor=env.get("ORCHEO_EXECUTOR", "local"),
            broker_url=env.get("ORCHEO_BROKER_URL") or env.get("ORCHEO_REDIS_URL"),
            checkpoint_interval=float(env.get("ORCHEO_CHECKPOINT_INTERVAL_MS", "20")) / 1000,
            max_value_bytes=_positive(env, "ORCHEO_MAX_VALUE_BYTES", DEFAULT_MAX_VALUE_BYTES),
            wal_limit_bytes=_positive(
                env, "ORCHEO_SQLITE_WAL_LIMIT_BYTES", DEFAULT_WAL_LIMIT_BYTES
            ),
            max_input_depth=ValueLimits.from_env().max_depth,
            trace_store=_flag(env, "ORCHEO_TRACE_STORE"),
        )
        return replace(settings, **overrides)  # type: ignore[arg-type]


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{name} must be a positive whole number of bytes, not {raw!r}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{name} must be true or false, not {env[name]!r}")


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None


def _durability(value: str) -> Durability:
    if value not in ("sync", "async", "exit"):
        raise ValueError(f"ORCHEO_DURABILITY must be sync, async or exit, not {value!r}")
    return value  # type: ignore[return-value]
