"""Who executes a run: its ``owner`` names the process, ``[prefix]host:pid:suffix``.

The prefix says who looks after the run when that process is gone:

- none: a server or one of its runner processes; a server resumes the run (its
  runner pool at once, start-up recovery otherwise);
- ``celery@``: a Celery worker; the workers' own reaper re-queues it;
- ``kernel@``: a notebook kernel; the server fails it once the kernel process is
  gone (a kernel's run is the notebook user's, not something to resume elsewhere).
"""

from __future__ import annotations

import os
import socket
import uuid

KERNEL_OWNER_PREFIX = "kernel@"


def process_owner(prefix: str = "") -> str:
    """A new owner naming this process (the suffix tells two executors of it apart)."""
    return f"{prefix}{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_process(owner: str | None, prefix: str) -> tuple[str, int] | None:
    """The host and pid of an owner with ``prefix``; None for any other owner."""
    if not owner or not owner.startswith(prefix):
        return None
    parts = owner[len(prefix) :].split(":")
    if len(parts) < 3 or not parts[-2].isdigit():
        return None
    return ":".join(parts[:-2]), int(parts[-2])


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (a zombie counts until reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
