"""Persistence of workflows, versions, runs and events behind one narrow interface."""

from .base import Conflict, NotFound, Repository
from .records import (
    AddedVersion,
    DeploymentRecord,
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
    "AddedVersion",
    "Conflict",
    "DeploymentRecord",
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
