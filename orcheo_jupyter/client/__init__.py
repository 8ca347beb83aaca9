"""The Python SDK for a remote orcheo server (``jupyter orcheo`` or JupyterLab with orcheo).

``OrcheoClient`` covers the REST routes; ``HttpWorkflowExecutor`` starts runs and
follows them over the WebSocket to the end. Both retry with exponential backoff
and jitter (honouring Retry-After) and send the token on every request.
"""

from .client import OrcheoClient
from .errors import (
    OrcheoAPIError,
    OrcheoConnectionError,
    OrcheoError,
    RunTimeout,
    VersionConflictError,
)
from .executor import HttpWorkflowExecutor
from .transport import Backoff, retry_after

__all__ = [
    "Backoff",
    "HttpWorkflowExecutor",
    "OrcheoAPIError",
    "OrcheoClient",
    "OrcheoConnectionError",
    "OrcheoError",
    "RunTimeout",
    "VersionConflictError",
    "retry_after",
]
