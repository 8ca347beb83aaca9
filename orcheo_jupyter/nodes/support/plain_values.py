"""Plain JSON values from what drivers and parsers return, and where node files live.

Node outputs go into state, checkpoints and events, so a database row's
``Decimal``, ``datetime`` or ``bytes`` becomes a JSON value before it leaves a node.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...runtime.services import RuntimeServices
from ..base import NodeError


def jsonable(value: Any) -> Any:
    """``value`` with every non-JSON scalar turned into its natural JSON form."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


def data_dir(services: RuntimeServices) -> Path:
    """The run's data directory (the executor's), else the process default."""
    if services.data_dir is not None:
        return Path(services.data_dir)
    from ...settings import default_data_dir

    return default_data_dir()


def under_data_dir(path: str, services: RuntimeServices) -> Path:
    """``path`` with ``~`` expanded; relative paths are taken under the data directory."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else data_dir(services) / p


def missing_extra(package: str, extra: str, field: str | None = None) -> NodeError:
    """The error a node raises when an optional dependency is not installed."""
    return NodeError(
        field,
        f"this node needs {package!r}, which is not installed: "
        f"pip install 'orcheo-jupyter[{extra}]'",
    )
