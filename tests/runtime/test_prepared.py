"""Plain documents submitted again are validated once; bad ones are refused every time."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from orcheo_jupyter.runtime import prepared as prepared_mod
from orcheo_jupyter.runtime.prepared import PreparedDocuments
from orcheo_jupyter.spec.io import document_from_data, stored_form
from orcheo_jupyter.spec.problems import DocumentError


def _doc(value: Any = 1) -> dict[str, Any]:
    return {
        "name": "p",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "a",
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "a",
                        "type": "SetVariableNode",
                        "config": {"variables": {"v": value}},
                    }
                ],
                "edges": [{"source": "a", "target": "__end__"}],
            },
        },
    }


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = prepared_mod.as_document

    def counting(document: Any) -> Any:
        calls.append(1)
        return real(document)

    monkeypatch.setattr(prepared_mod, "as_document", counting)
    return calls


def test_equal_data_is_validated_once_and_gives_the_stored_checksum(
    validations: list[int],
) -> None:
    cache = PreparedDocuments()
    doc, checksum, body = cache.get(_doc())
    assert (checksum, body) == stored_form(document_from_data(_doc()))
    again = cache.get(copy.deepcopy(_doc()))  # equal data, another object
    assert again[1] == checksum and again[0] is doc
    assert len(validations) == 1


def test_changed_data_is_validated_again(validations: list[int]) -> None:
    cache = PreparedDocuments()
    data = _doc()
    first = cache.get(data)[1]
    data["graph"]["ir"]["nodes"][0]["config"]["variables"]["v"] = 2  # mutated in place
    assert cache.get(data)[1] != first
    assert len(validations) == 2


def test_invalid_data_is_refused_every_time(validations: list[int]) -> None:
    cache = PreparedDocuments()
    bad = _doc()
    bad["graph"]["ir"]["nodes"][0]["bogus"] = True
    for _ in range(2):
        with pytest.raises(DocumentError, match="bogus"):
            cache.get(bad)
    assert len(validations) == 2


def test_data_that_is_not_json_still_gets_validation_errors() -> None:
    with pytest.raises(DocumentError):
        PreparedDocuments().get({"name": "x", "graph": {"format": "frozen-ir", "ir": {1, 2}}})


def test_the_cache_keeps_only_the_newest_documents(validations: list[int]) -> None:
    cache = PreparedDocuments(size=2)
    for value in (1, 2, 3):
        cache.get(_doc(value))
    cache.get(_doc(3))
    cache.get(_doc(1))  # evicted: validated again
    assert len(validations) == 4
