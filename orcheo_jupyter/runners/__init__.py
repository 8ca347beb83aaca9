"""Runner processes: server-side runs execute outside the Jupyter server's process.

The server stores each run (pending) and hands it to one of a supervised pool of
runner processes over a Unix socket; each runner executes it with its own
``Executor`` on the same store and streams the committed events back, so the
server's WebSocket followers never poll the database. A runner that must be
stopped (a node that never yields past its timeout or a cancel, a node out of
memory) is ended and replaced; its other runs continue from their checkpoints.
"""

from .config import RunnerConfig, default_runners

__all__ = ["RunnerConfig", "default_runners"]
