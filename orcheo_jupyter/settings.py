"""Where things live and how runs persist, from ``ORCHEO_*`` environment variables.

The server extension maps its traitlets onto the same fields, so a kernel and the
server agree on the data directory without talking to each other. Each field
declares its variable (and how its text is read) beside its default, once:
``from_env`` and ``ENVIRONMENT`` are made from those declarations.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from .common.flags import parse_flag
from .spec.values import DEFAULT_MAX_DEPTH, ValueLimits
from .store.encoding import DEFAULT_MAX_VALUE_BYTES
from .store.sqlite_thread import DEFAULT_WAL_LIMIT_BYTES

Durability = Literal["sync", "async", "exit"]


def _text(text: str, _name: str) -> str:
    return text


@dataclass(frozen=True)
class EnvVariable:
    """The ``ORCHEO_*`` variable that sets one field, and how its text becomes the value."""

    #: The first one set wins (the others are older names still honoured).
    names: tuple[str, ...]
    #: ``parse(text, variable name)``; a refusal names the variable and what it expects.
    parse: Callable[[str, str], Any] = _text

    def read(self, env: Mapping[str, str]) -> Any:
        """The value, or None when no variable is set (unset or blank: the field's default)."""
        for name in self.names:
            text = env.get(name, "")
            if text.strip():
                return self.parse(text, name)
        return None


def _whole(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {text!r}") from None


def _positive_bytes(text: str, name: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{name} must be a positive whole number of bytes, not {text!r}")
    return value


def _milliseconds(text: str, name: str) -> float:
    try:
        return float(text) / 1000
    except ValueError:
        raise ValueError(f"{name} must be a number of milliseconds, not {text!r}") from None


def _input_depth(text: str, name: str) -> int:
    return ValueLimits.from_env({name: text}).max_depth


def _path(text: str, _name: str) -> Path:
    return Path(text).expanduser()


def _durability(text: str, name: str) -> Durability:
    if text not in ("sync", "async", "exit"):
        raise ValueError(f"{name} must be sync, async or exit, not {text!r}")
    return text  # type: ignore[return-value]


def _env(*names: str, parse: Callable[[str, str], Any] = _text) -> dict[str, EnvVariable]:
    """A field's metadata: the variable(s) that set it."""
    return {"env": EnvVariable(names, parse)}


_DATA_DIR = _env("ORCHEO_DATA_DIR", parse=_path)


def default_data_dir() -> Path:
    found = _DATA_DIR["env"].read(os.environ)
    if found is not None:
        return found
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "orcheo"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir, metadata=_DATA_DIR)
    repository_backend: str = field(default="sqlite", metadata=_env("ORCHEO_REPOSITORY_BACKEND"))
    repository_path: Path | None = field(
        default=None, metadata=_env("ORCHEO_REPOSITORY_SQLITE_PATH", parse=_path)
    )
    checkpoint_backend: str = field(default="sqlite", metadata=_env("ORCHEO_CHECKPOINT_BACKEND"))
    checkpoint_path: Path | None = field(
        default=None, metadata=_env("ORCHEO_SQLITE_PATH", parse=_path)
    )
    postgres_dsn: str | None = field(default=None, metadata=_env("ORCHEO_POSTGRES_DSN"))
    durability: Durability = field(
        default="async", metadata=_env("ORCHEO_DURABILITY", parse=_durability)
    )
    #: Postgres connections per pool (one pool for the repository, one for checkpoints).
    postgres_pool_size: int = field(
        default=10, metadata=_env("ORCHEO_POSTGRES_POOL_SIZE", parse=_whole)
    )
    #: ``local`` runs in the server process; ``celery`` enqueues runs for workers.
    executor: str = field(default="local", metadata=_env("ORCHEO_EXECUTOR"))
    #: Celery broker and event fan-out (``redis://host:port/db``) when executor is celery.
    broker_url: str | None = field(
        default=None, metadata=_env("ORCHEO_BROKER_URL", "ORCHEO_REDIS_URL")
    )
    #: Under the ``async`` policy a run persists at most one checkpoint per this many
    #: seconds (plus its last); ``sync`` persists every checkpoint.
    checkpoint_interval: float = field(
        default=0.02, metadata=_env("ORCHEO_CHECKPOINT_INTERVAL_MS", parse=_milliseconds)
    )
    #: The most one stored value may take: an event (a node's output), a run's inputs
    #: or final state, a checkpoint row. A run that makes a bigger one fails, alone.
    max_value_bytes: int = field(
        default=DEFAULT_MAX_VALUE_BYTES,
        metadata=_env("ORCHEO_MAX_VALUE_BYTES", parse=_positive_bytes),
    )
    #: SQLite ``-wal`` files are truncated soon after they outgrow this.
    wal_limit_bytes: int = field(
        default=DEFAULT_WAL_LIMIT_BYTES,
        metadata=_env("ORCHEO_SQLITE_WAL_LIMIT_BYTES", parse=_positive_bytes),
    )
    #: Deepest nesting of run inputs and request bodies (spec/values.py explains why).
    max_input_depth: int = field(
        default=DEFAULT_MAX_DEPTH, metadata=_env("ORCHEO_MAX_INPUT_DEPTH", parse=_input_depth)
    )
    #: Keep each run's OpenTelemetry spans with the run (its Trace tab, GET .../trace).
    trace_store: bool = field(default=False, metadata=_env("ORCHEO_TRACE_STORE", parse=parse_flag))

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
        """What the ``ORCHEO_*`` variables set (see ``ENVIRONMENT``), then ``overrides``."""
        values: dict[str, object] = {}
        for name, variable in ENVIRONMENT.items():
            found = variable.read(os.environ)
            if found is not None:
                values[name] = found
        return cls(**{**values, **overrides})  # type: ignore[arg-type]


#: Settings field -> the variable that sets it, as the fields declare them (the server
#: maps its ``c.OrcheoApp`` traitlets onto the same fields).
ENVIRONMENT: dict[str, EnvVariable] = {
    f.name: f.metadata["env"] for f in fields(Settings) if "env" in f.metadata
}
