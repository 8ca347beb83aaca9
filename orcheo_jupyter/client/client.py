"""``OrcheoClient``: every REST route of a remote orcheo server, as methods.

Answers are the server's JSON (dicts and lists), so nothing is lost or renamed on
the way; errors are ``OrcheoAPIError`` with the server's code and message.

The client remembers which version of each workflow it last loaded or stored, and
``update_workflow`` sends it as ``base_version``: a workflow someone else stored
since is ``VersionConflictError`` and nothing is stored over their version.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypedDict, Unpack
from urllib.parse import quote, urlsplit, urlunsplit

from ..common.options import check_options
from ..spec.io import to_data
from ..spec.models import WorkflowDocument
from .errors import OrcheoAPIError, VersionConflictError
from .transport import Closing, ConnectionOptions, Transport

Document = WorkflowDocument | Mapping[str, Any] | Any  # also a Workflow (has .document)


def _document(document: Document) -> dict[str, Any]:
    doc = getattr(document, "document", document)
    if isinstance(doc, WorkflowDocument):
        return to_data(doc)
    if isinstance(doc, Mapping):
        return dict(doc)
    raise TypeError(
        f"expected a WorkflowDocument, a Workflow or a document dict, got {type(document).__name__}"
    )


class ExecuteOptions(TypedDict, total=False):
    """How a run starts besides its workflow and inputs: the keyword options of
    ``OrcheoClient.execute`` and ``HttpWorkflowExecutor.submit``/``run``, declared once.
    Each is a field of the execute route's body (the server's defaults in brackets)."""

    #: The workflow version to run [the latest].
    version: int | None
    #: The run config: ``configurable``, ``recursion_limit`` [{}].
    config: Mapping[str, Any] | None
    #: Pause before these nodes; resume continues the run [none].
    break_before: Sequence[str]
    #: Pause after these nodes [none].
    break_after: Sequence[str]
    #: Why the run is started: required when a manual trigger asks for one [None].
    comment: str | None


def _execute_body(inputs: Mapping[str, Any] | None, options: ExecuteOptions) -> dict[str, Any]:
    check_options(options, ExecuteOptions)
    body: dict[str, Any] = {"inputs": dict(inputs or {})}
    for name, value in options.items():
        if value is None:
            continue  # the server's default
        body[name] = dict(value) if isinstance(value, Mapping) else value
    return body


def _conflict(exc: OrcheoAPIError, workflow_id: str, method: str) -> OrcheoAPIError:
    """A 409 ``version_conflict`` as ``VersionConflictError``; any other error as it is."""
    details = exc.details if isinstance(exc.details, dict) else {}
    if exc.code != "version_conflict" or not isinstance(details.get("latest"), int):
        return exc
    base = int(details.get("base_version") or 0)
    return VersionConflictError(workflow_id, base, details["latest"], exc, method=method)


def _seg(value: str) -> str:
    return quote(str(value), safe="")


class OrcheoClient(Closing):
    """A client of one server: ``OrcheoClient("http://127.0.0.1:8888", token)``.

    ``token`` is the Jupyter server token (sent as ``Authorization: token ...``) or a
    bearer token with ``auth_scheme="Bearer"``. ``timeout`` is per attempt;
    ``backoff`` is the retry policy (see ``transport.py``); ``retry_posts``,
    ``headers`` and ``transport`` as ``ConnectionOptions`` describes them.
    """

    def __init__(
        self, base_url: str, token: str | None = None, **options: Unpack[ConnectionOptions]
    ) -> None:
        self.http = Transport(base_url, token, **options)
        #: Workflow id or slug -> the version this client last loaded or stored (the
        #: base of the next update_workflow).
        self._versions: dict[str, int] = {}

    # --- plumbing -----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.http.base_url

    def close(self) -> None:
        self.http.close()

    def ws_url(self, execution_id: str, after: int = 0) -> str:
        """The WebSocket URL of a run's events, replaying after sequence number ``after``."""
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        path = f"{parts.path}/orcheo/ws/executions/{_seg(execution_id)}"
        return urlunsplit((scheme, parts.netloc, path, f"after={int(after)}", ""))

    # --- workflows ----------------------------------------------------------------
    def list_workflows(
        self, *, q: str | None = None, tag: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """One page: ``{"items", "total", "limit", "offset"}``, newest change first."""
        params = {"q": q, "tag": tag, "limit": limit, "offset": offset}
        return self.http.request("GET", "workflows", params=params)

    def iter_workflows(
        self, *, q: str | None = None, tag: str | None = None, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Every workflow, page by page."""
        offset = 0
        while True:
            page = self.list_workflows(q=q, tag=tag, limit=page_size, offset=offset)
            yield from page["items"]
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return

    def create_workflow(self, document: Document) -> dict[str, Any]:
        """Version 1 of a new workflow; the answer carries its id and stored document."""
        return self._loaded(self.http.request("POST", "workflows", json=_document(document)))

    def get_workflow(self, workflow_id: str) -> dict[str, Any]:
        """A workflow (by id or slug) and its latest document (the base of the next update)."""
        return self._loaded(self.http.request("GET", f"workflows/{_seg(workflow_id)}"), workflow_id)

    def known_version(self, workflow_id: str) -> int | None:
        """The version of the workflow this client last loaded or stored (None: neither)."""
        return self._versions.get(workflow_id)

    def _loaded(self, answer: dict[str, Any], *keys: str) -> dict[str, Any]:
        """Remember the version an answer carries, under the workflow's id, slug and ``keys``."""
        version = answer.get("version", answer.get("latest_version"))
        if isinstance(version, int):
            for key in (answer.get("id"), answer.get("slug"), *keys):
                if isinstance(key, str):
                    self._versions[key] = version
        return answer

    def get_document(self, workflow_id: str, version: int | None = None) -> WorkflowDocument:
        """A stored document as the pydantic model."""
        if version is None:
            data = self.get_workflow(workflow_id)["document"]
        else:
            data = self.get_version(workflow_id, version)["document"]
        return WorkflowDocument.model_validate(data)

    def update_workflow(
        self,
        workflow_id: str,
        document: Document,
        *,
        base_version: int | None = None,
        overwrite: bool = False,
        create: bool = False,
    ) -> dict[str, Any]:
        """A new immutable version; the answer's ``stored`` is False when the latest
        version already held this very document (its number is kept).

        The edit is taken to be made from ``base_version``, by default the version this
        client last loaded or stored: when someone stored another since, the server
        refuses it (``VersionConflictError``, nothing stored); a client that never loaded
        or stored it (a deploy script) stores on top unchecked. ``create=True`` creates a
        workflow missing under this id; never loaded here, it expects none to exist
        (``base_version=0``). ``overwrite=True`` stores it whatever the latest is (the
        version it replaces stays in the history).
        """
        base = self._base("update_workflow", workflow_id, base_version, overwrite, create)
        params: dict[str, Any] = {"base_version": base}
        if create:
            params["create"] = "true"
        data = _document(document)
        try:
            answer = self.http.request(
                "PUT", f"workflows/{_seg(workflow_id)}", json=data, params=params
            )
        except OrcheoAPIError as exc:
            raise _conflict(exc, workflow_id, "update_workflow") from None
        return self._loaded(answer, workflow_id)

    def restore_version(
        self,
        workflow_id: str,
        version: int,
        *,
        base_version: int | None = None,
        overwrite: bool = False,
    ) -> dict[str, Any]:
        """Store version ``version``'s document as the new latest (``restored_from`` says
        which), from ``base_version`` as ``update_workflow`` stores edits: by default the
        version this client last loaded or stored, so a version someone stored since is
        ``VersionConflictError`` and nothing is stored (never loaded here: restored on top,
        unchecked); ``overwrite=True`` restores anyway."""
        base = self._base("restore_version", workflow_id, base_version, overwrite, False)
        path = f"workflows/{_seg(workflow_id)}/versions/{int(version)}/restore"
        try:
            answer = self.http.request("POST", path, params={"base_version": base})
        except OrcheoAPIError as exc:
            raise _conflict(exc, workflow_id, "restore_version") from None
        return self._loaded(answer, workflow_id)

    def _base(
        self,
        method: str,
        workflow_id: str,
        base_version: int | None,
        overwrite: bool,
        create: bool,
    ) -> int | None:
        """The base_version ``method`` sends; None (store on top) with ``overwrite`` or
        from a client that never loaded or stored the workflow: a deploy script stores
        what it holds, as it always has, unless it names ``base_version``."""
        if overwrite:
            return None
        if base_version is not None:
            return base_version
        return self._versions.get(workflow_id, 0 if create else None)

    def delete_workflow(self, workflow_id: str) -> None:
        self.http.request("DELETE", f"workflows/{_seg(workflow_id)}")

    def list_versions(self, workflow_id: str) -> list[dict[str, Any]]:
        body = self.http.request("GET", f"workflows/{_seg(workflow_id)}/versions")
        return body["items"]

    def get_version(self, workflow_id: str, version: int) -> dict[str, Any]:
        return self.http.request("GET", f"workflows/{_seg(workflow_id)}/versions/{int(version)}")

    def import_python(
        self, script: str, name: str, entrypoint: str | None = None
    ) -> dict[str, Any]:
        """A new workflow from a LangGraph script (the server's import guardrails apply)."""
        body: dict[str, Any] = {"script": script, "name": name}
        if entrypoint is not None:
            body["entrypoint"] = entrypoint
        return self._loaded(self.http.request("POST", "workflows/import-python", json=body))

    # --- executions ---------------------------------------------------------------
    def execute(
        self,
        workflow_id: str,
        inputs: Mapping[str, Any] | None = None,
        **options: Unpack[ExecuteOptions],
    ) -> str:
        """Start a run; returns its execution id at once (the run goes on server-side).

        ``options``: see ``ExecuteOptions``."""
        body = _execute_body(inputs, options)
        answer = self.http.request("POST", f"workflows/{_seg(workflow_id)}/execute", json=body)
        return str(answer["execution_id"])

    def list_executions(
        self,
        *,
        workflow_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> dict[str, Any]:
        params = {"workflow_id": workflow_id, "status": status, "limit": limit, "offset": offset}
        return self.http.request("GET", "executions", params=params)

    def get_execution(self, execution_id: str) -> dict[str, Any]:
        """Status, transitions, error, and the final state once it finished."""
        return self.http.request("GET", f"executions/{_seg(execution_id)}")

    def events(self, execution_id: str, *, after: int = 0, limit: int = 1000) -> dict[str, Any]:
        """``{"items", "next_after", "done"}``: stored events after sequence number ``after``."""
        return self.http.request(
            "GET",
            f"executions/{_seg(execution_id)}/events",
            params={"after": after, "limit": limit},
        )

    def cancel(self, execution_id: str) -> dict[str, Any]:
        return self.http.request("DELETE", f"executions/{_seg(execution_id)}")

    def resume(self, execution_id: str, value: Any) -> str:
        """Answer the run's pending interrupt; it continues server-side."""
        answer = self.http.request(
            "POST", f"executions/{_seg(execution_id)}/resume", json={"value": value}
        )
        return str(answer["execution_id"])

    def checkpoints(self, execution_id: str) -> list[dict[str, Any]]:
        body = self.http.request("GET", f"executions/{_seg(execution_id)}/checkpoints")
        return body["items"]

    def rerun(self, execution_id: str, checkpoint_id: str | None = None) -> str:
        """A new run from the start, or from one of this run's checkpoints."""
        body = {"checkpoint_id": checkpoint_id} if checkpoint_id else {}
        answer = self.http.request("POST", f"executions/{_seg(execution_id)}/rerun", json=body)
        return str(answer["execution_id"])

    # --- catalog ------------------------------------------------------------------
    def nodes(self) -> list[dict[str, Any]]:
        """The node catalog, each type with its config's JSON Schema."""
        return self.http.request("GET", "nodes")["items"]

    def openapi(self) -> dict[str, Any]:
        return self.http.request("GET", "openapi.json")
