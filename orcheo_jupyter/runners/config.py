"""How many runners, with what limits, and what each needs to open the same runtime."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..settings import Settings

GiB = 1 << 30
#: A node past its timeout gets this long to stop by itself before its runner is ended.
STOP_GRACE_SECONDS = 1.0


def default_runners() -> int:
    """min(cores, 4): the server's default pool size."""
    return min(os.cpu_count() or 1, 4)


@dataclass(frozen=True)
class RunnerConfig:
    """What the server tells each runner it starts (sent over the socket, never argv)."""

    count: int
    settings: Settings
    #: Address-space limit of each runner, in bytes (0: none).
    memory_limit: int = 4 * GiB
    #: Nice increment of each runner: user code yields the CPU to the server and kernels.
    nice: int = 10
    vault_key: str | None = None
    vault_key_file: str | None = None
    script: dict[str, Any] = field(default_factory=dict)
    #: Start the runners at the first run (or node test) instead of with the runtime.
    on_demand: bool = False

    def message(self) -> dict[str, Any]:
        settings = {
            f.name: (str(v) if isinstance(v, Path) else v)
            for f in dataclasses.fields(self.settings)
            if (v := getattr(self.settings, f.name)) is not None
        }
        if "ORCHEO_POSTGRES_POOL_SIZE" not in os.environ:
            # Each runner opens its own pools: keep N runners within Postgres' default
            # 100 connections unless the operator sized the pools explicitly.
            settings["postgres_pool_size"] = min(self.settings.postgres_pool_size, 4)
        return {
            "settings": settings,
            "memory_limit": self.memory_limit,
            "nice": self.nice,
            "vault_key": self.vault_key,
            "vault_key_file": self.vault_key_file,
            "script": self.script,
        }


_PATH_FIELDS = ("data_dir", "repository_path", "checkpoint_path")


def settings_of(message: dict[str, Any]) -> Settings:
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    for name, value in message.items():
        if name not in fields:
            continue
        values[name] = (
            Path(value) if name in ("data_dir", "repository_path", "checkpoint_path") else value
        )
    return Settings(**values)


def describe_bytes(size: int) -> str:
    if size % GiB == 0:
        return f"{size // GiB} GiB"
    if size % (1 << 20) == 0:
        return f"{size >> 20} MiB"
    return f"{size} bytes"
