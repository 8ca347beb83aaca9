"""The templates gallery over HTTP: the Launcher's "Workflow from template" reads it."""

from __future__ import annotations

from .. import templates
from .authz import READ, WORKFLOWS, guard
from .base import OrcheoHandler, operation
from .errors import ApiError
from .models import TemplateCatalog, TemplateDocument


class TemplatesHandler(OrcheoHandler):
    auth_resource = WORKFLOWS

    @guard(READ)
    @operation(
        operation_id="listTemplates",
        summary="Workflow templates (name, title, description, tags)",
        tag="templates",
        responses={200: TemplateCatalog},
    )
    async def get(self) -> None:
        self.reply(200, {"items": templates.catalogue()})


class TemplateHandler(OrcheoHandler):
    auth_resource = WORKFLOWS

    @guard(READ)
    @operation(
        operation_id="getTemplate",
        summary="One template's workflow document (without an id: the caller names it)",
        tag="templates",
        responses={200: TemplateDocument},
        errors=(404,),
    )
    async def get(self, name: str) -> None:
        try:
            doc = templates.document(name)
        except templates.UnknownTemplate as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        self.reply(200, doc)
