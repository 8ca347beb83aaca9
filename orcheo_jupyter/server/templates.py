"""The templates gallery over HTTP: the Launcher's "Workflow from template" reads it."""

from __future__ import annotations

from .. import templates
from .authz import READ, WORKFLOWS
from .base import OrcheoHandler, operation
from .errors import ApiError
from .models import TemplateCatalog, TemplateDocument


class _TemplateBase(OrcheoHandler):
    auth_resource = WORKFLOWS  # reading templates is reading workflows
    api_tag = "templates"


class TemplatesHandler(_TemplateBase):
    @operation(
        READ,
        operation_id="listTemplates",
        summary="Workflow templates (name, title, description, tags)",
        responses={200: TemplateCatalog},
    )
    async def get(self) -> None:
        self.reply(200, {"items": templates.catalogue()})


class TemplateHandler(_TemplateBase):
    @operation(
        READ,
        operation_id="getTemplate",
        summary="One template's workflow document (without an id: the caller names it)",
        responses={200: TemplateDocument},
        errors=(404,),
    )
    async def get(self, name: str) -> None:
        try:
            doc = templates.document(name)
        except templates.UnknownTemplate as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        self.reply(200, doc)
