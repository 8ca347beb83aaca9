"""Template resolution and conditional-edge routing rules (DESIGN §2)."""

from __future__ import annotations

from typing import Any

import pytest

from orcheo_jupyter.common.dotted import route_key
from orcheo_jupyter.runtime.expressions import MISSING, lookup, render
from orcheo_jupyter.runtime.routing import make_router
from orcheo_jupyter.spec.models import ConditionalEdge

STATE: dict[str, Any] = {
    "inputs": {"name": "Ada", "n": 3, "tags": ["a", "b"]},
    "results": {"start": {"value": 7, "items": [{"k": "first"}]}, "flag": {"on": False}},
    "messages": [],
}
CONFIG = {"configurable": {"user": "u1", "thread_id": "t"}}


def test_exact_template_keeps_type() -> None:
    assert render("{{ inputs.tags }}", STATE) == ["a", "b"]
    assert render("{{inputs.n}}", STATE) == 3
    assert render("{{results.flag.on}}", STATE) is False


def test_embedded_templates_take_scalars_only() -> None:
    assert render("Hi {{inputs.name}} #{{inputs.n}}", STATE) == "Hi Ada #3"
    unresolved: list[str] = []
    assert render("tags={{inputs.tags}}", STATE, unresolved=unresolved) == "tags={{inputs.tags}}"
    assert unresolved == ["{{inputs.tags}}"]


def test_first_segment_falls_back_to_results() -> None:
    assert render("{{start.value}}", STATE) == render("{{results.start.value}}", STATE) == 7
    assert render("{{start.items.0.k}}", STATE) == "first"


def test_run_config_is_readable() -> None:
    assert render("{{config.configurable.user}}", STATE, CONFIG) == "u1"


def test_unresolved_stays_verbatim_and_is_reported() -> None:
    unresolved: list[str] = []
    out = render({"a": "{{results.nope.x}}", "b": ["{{inputs.missing}}"]}, STATE, None, unresolved)
    assert out == {"a": "{{results.nope.x}}", "b": ["{{inputs.missing}}"]}
    assert unresolved == ["{{results.nope.x}}", "{{inputs.missing}}"]


def test_render_does_not_mutate_its_input() -> None:
    raw = {"v": ["{{inputs.n}}"]}
    render(raw, STATE)
    assert raw == {"v": ["{{inputs.n}}"]}


def test_lookup_missing_paths() -> None:
    assert lookup("inputs.tags.9", STATE) is MISSING
    assert lookup("results.start.value.deeper", STATE) is MISSING
    assert lookup("", STATE) is MISSING


@pytest.mark.parametrize(
    ("value", "key"), [(True, "true"), (False, "false"), (None, "null"), (3, "3"), ("x", "x")]
)
def test_route_keys(value: Any, key: str) -> None:
    assert route_key(value) == key


def test_router_uses_mapping_then_default_then_end() -> None:
    route, destinations = make_router(
        ConditionalEdge(
            source="s", path="results.flag.on", mapping={"false": "off"}, default="other"
        )
    )
    assert route(STATE, CONFIG) == "off"
    assert route({"results": {"flag": {"on": "maybe"}}}, CONFIG) == "other"
    no_default, _ = make_router(ConditionalEdge(source="s", path="results.flag.on", mapping={}))
    assert no_default(STATE, CONFIG) == "__end__"
    assert set(destinations) == {"off", "other"}
