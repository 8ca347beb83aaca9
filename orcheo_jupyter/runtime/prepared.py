"""Validated documents with their checksum, remembered for data submitted again."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..common.lru import LRU
from ..spec.io import stored_form
from ..spec.models import WorkflowDocument
from .build import as_document

Prepared = tuple[WorkflowDocument, str, str]

_KEY = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


#: Models whose canonical form is already known (by identity; the entry keeps the model
#: alive, so its id is not reused while remembered).
_known: LRU[int, Prepared] = LRU(64)


def remember(doc: WorkflowDocument, checksum: str, text: str) -> None:
    """``doc``'s checksum and stored text, computed elsewhere (the server's document
    worker): encoding a 10,000-node model again holds the GIL for a tenth of a second."""
    _known.put(id(doc), (doc, checksum, text))


class PreparedDocuments:
    """``get(document) -> (doc, checksum, stored text)``, validating plain data once.

    The CLI, SDK callers and schedulers submit the same plain data run after run.
    Its sorted JSON text is the cache key: encoding it costs about a third of
    validating the document and serializing its canonical form again.
    """

    def __init__(self, size: int = 128) -> None:
        self._by_text: LRU[str, Prepared] = LRU(size)

    def get(self, document: WorkflowDocument | Mapping[str, Any]) -> Prepared:
        """Thread-safe: large documents are prepared on a worker thread."""
        if isinstance(document, WorkflowDocument):
            known = _known.get(id(document))
            if known is not None and known[0] is document:
                return known
            return (document, *stored_form(document))
        try:
            key = _KEY.encode(document)
        except (TypeError, ValueError, RecursionError):
            return self._fresh(document)  # not plain JSON: validation says what is wrong
        return self._by_text.get_or_make(key, lambda: self._fresh(document))

    @staticmethod
    def _fresh(document: Mapping[str, Any]) -> Prepared:
        doc = as_document(document)
        return (doc, *stored_form(doc))
