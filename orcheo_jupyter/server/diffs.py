"""``GET /workflows/{id}/versions/{a}/diff/{b}``: what changed between two versions."""

from __future__ import annotations

from ..spec.diff import diff_documents
from ..spec.io import document_from_data
from .authz import READ
from .base import operation
from .models import VersionDiff
from .workflows import WorkflowBase, parse_version


class VersionDiffHandler(WorkflowBase):
    @operation(
        READ,
        operation_id="diffVersions",
        summary="Nodes, edges, config and triggers added, removed or changed from A to B",
        responses={200: VersionDiff},
    )
    async def get(self, workflow_id: str, version: str, other: str) -> None:
        first, second = parse_version(version), parse_version(other)
        store = (await self.executor()).store
        a = await store.get_version(workflow_id, first)
        b = await store.get_version(workflow_id, second)
        assert a.document is not None and b.document is not None
        diff = diff_documents(document_from_data(a.document), document_from_data(b.document))
        self.reply(
            200, {"workflow_id": a.workflow_id, "from_version": first, "to_version": second, **diff}
        )
