"""One dotted-path walk for the data nodes and for templates; they differ only in
whether object attributes are followed, and each caller keeps its rule."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from orcheo_jupyter.common.dotted import MISSING, dig
from orcheo_jupyter.nodes.support import dotted_paths
from orcheo_jupyter.runtime import expressions

STATE: dict[str, Any] = {
    "msg": SimpleNamespace(content="hi", _secret="no", tags=["a", "b"]),
    "user": {"tags": ["x", "y"], "name": "Ada"},
}


def test_both_walk_mappings_and_list_indexes_alike() -> None:
    assert dig(STATE, "user.tags.1") == "y"
    assert dig(STATE, "user.tags.1", attributes=True) == "y"
    assert dig(STATE, "user.tags.9") is MISSING
    assert dig(STATE, "user.tags.x", attributes=True) is MISSING
    assert dig(STATE, "user.missing") is MISSING


def test_attributes_are_followed_only_when_asked_and_never_private() -> None:
    assert dig(STATE, "msg.content") is MISSING
    assert dig(STATE, "msg.content", attributes=True) == "hi"
    assert dig(STATE, "msg.tags.0", attributes=True) == "a"
    assert dig(STATE, "msg._secret", attributes=True) is MISSING


def test_each_caller_keeps_its_rule() -> None:
    # Data nodes (DataTransform, lists, debug): plain data only, brackets allowed.
    assert dotted_paths.dig(STATE, "msg.content") is MISSING
    assert dotted_paths.lookup_state(STATE, "msg.content") is MISSING
    assert dotted_paths.dig(STATE, "user.tags[0]") == "x"
    # Templates and conditional edges read an object's public attributes.
    assert expressions.lookup("msg.content", STATE) == "hi"
    assert expressions.render("{{ msg.content }}", STATE) == "hi"
    assert expressions.lookup("msg._secret", STATE) is expressions.MISSING
    # One sentinel: a miss in one layer is a miss in the other.
    assert expressions.MISSING is dotted_paths.MISSING is MISSING
