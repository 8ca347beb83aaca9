"""Persistence of workflows, versions, runs and events behind one narrow interface."""

from .base import Conflict, NotFound, Repository
from .records import (
    EventRecord,
    RunBatch,
    RunRecord,
    RunUpdate,
    TransitionRecord,
    VersionRecord,
    WorkflowRecord,
)
from .sqlite import SqliteRepository

__all__ = [
    "Conflict",
    "EventRecord",
    "NotFound",
    "Repository",
    "RunBatch",
    "RunRecord",
    "RunUpdate",
    "SqliteRepository",
    "TransitionRecord",
    "VersionRecord",
    "WorkflowRecord",
]
