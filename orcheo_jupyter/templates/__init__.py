"""The workflow templates gallery: starting points that run offline.

``%orcheo new NAME --template T``, ``python -m orcheo_jupyter templates`` and the
server's template list all read this catalogue. A template is a complete
workflow document whose settings (URLs, folders, addresses) are run inputs with
defaults in ``inputs_schema``, so it runs as created and is edited like any other.
"""

from __future__ import annotations

import copy
from typing import Any

from .gallery import TEMPLATES, Template

__all__ = ["Template", "UnknownTemplate", "catalogue", "document", "names"]


class UnknownTemplate(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown template {name!r}; known: {', '.join(names())}")


def names() -> list[str]:
    return list(TEMPLATES)


def catalogue() -> list[dict[str, Any]]:
    """name, title, description and tags of every template (for pickers)."""
    return [
        {"name": t.name, "title": t.title, "description": t.description, "tags": list(t.tags)}
        for t in TEMPLATES.values()
    ]


def document(name: str, workflow_name: str | None = None) -> dict[str, Any]:
    """A fresh copy of a template's document, named ``workflow_name``."""
    try:
        template = TEMPLATES[name]
    except KeyError:
        raise UnknownTemplate(name) from None
    doc = copy.deepcopy(template.build())
    doc["name"] = workflow_name or name
    doc.setdefault("description", template.description)
    doc.setdefault("tags", list(template.tags))
    return doc
