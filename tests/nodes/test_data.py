"""Data, text and utility nodes: real values in, exact values out."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from orcheo_jupyter.nodes.base import NodeError
from orcheo_jupyter.nodes.library.data import DataTransformNode, JsonProcessingNode
from orcheo_jupyter.nodes.library.text import TemplateNode, TextProcessingNode
from orcheo_jupyter.runtime.executor import Executor

from .helpers import chain_doc, node, results, run, run_node

USER = {"name": "ada lovelace", "age": "36", "tags": ["math", "poetry"], "active": "yes"}


@pytest.mark.asyncio
async def test_data_transform_paths_conversions_and_missing() -> None:
    transforms = [
        {"source": "name", "target": "person.name", "transform": "title"},
        {"source": "age", "target": "person.age", "transform": "int"},
        {"source": "tags.1", "target": "first_hobby", "transform": "upper"},
        {"source": "tags", "target": "hobby_count", "transform": "length"},
        {"source": "active", "target": "active", "transform": "bool"},
        {"source": "email", "target": "email", "default": "none"},
        {"source": "phone", "target": "phone", "when_missing": "skip"},
        {"source": "age", "target": "age_text", "transform": "string"},
    ]
    out = await run_node("DataTransformNode", {"input_data": USER, "transforms": transforms})
    assert out == {
        "result": {
            "person": {"name": "Ada Lovelace", "age": 36},
            "first_hobby": "POETRY",
            "hobby_count": 2,
            "active": True,
            "email": "none",
            "age_text": "36",
        }
    }


@pytest.mark.asyncio
async def test_data_transform_conversion_error_names_the_transform() -> None:
    transforms = [
        {"source": "name", "target": "n"},
        {"source": "name", "target": "age", "transform": "int"},
    ]
    with pytest.raises(NodeError) as err:
        await run_node("DataTransformNode", {"input_data": USER, "transforms": transforms})
    assert str(err.value) == "transforms[1]: cannot convert 'ada lovelace' to int"


def test_data_transform_rejects_unknown_transform_before_running() -> None:
    with pytest.raises(ValidationError) as err:
        DataTransformNode.model_validate(
            {"transforms": [{"source": "a", "target": "b", "transform": "reverse"}]}
        )
    assert err.value.errors()[0]["loc"] == ("transforms", 0, "transform")


@pytest.mark.asyncio
async def test_json_processing_parse_stringify_extract() -> None:
    parsed = await run_node(
        "JsonProcessingNode", {"operation": "parse", "input_data": '{"a": [1, {"b": "é"}]}'}
    )
    assert parsed == {"result": {"a": [1, {"b": "é"}]}}
    text = await run_node(
        "JsonProcessingNode",
        {"operation": "stringify", "input_data": {"b": "é", "a": 1}, "indent": None},
    )
    assert text == {"result": '{"b": "é", "a": 1}'}
    text = await run_node(
        "JsonProcessingNode",
        {"operation": "stringify", "input_data": {"b": 1, "a": 2}, "sort_keys": True},
    )
    assert text == {"result": '{\n  "a": 2,\n  "b": 1\n}'}
    found = await run_node(
        "JsonProcessingNode",
        {"operation": "extract", "input_data": '{"items": [{"id": 7}]}', "path": "items.0.id"},
    )
    assert found == {"result": 7, "found": True}
    missing = await run_node(
        "JsonProcessingNode",
        {"operation": "extract", "input_data": {"items": []}, "path": "items[0].id", "default": 0},
    )
    assert missing == {"result": 0, "found": False}


@pytest.mark.asyncio
async def test_json_processing_errors() -> None:
    with pytest.raises(NodeError) as err:
        await run_node("JsonProcessingNode", {"operation": "parse", "input_data": '{"a": }'})
    assert str(err.value) == ("input_data: not valid JSON (line 1 column 7: Expecting value)")
    with pytest.raises(ValidationError) as verr:
        JsonProcessingNode.model_validate({"operation": "extract"})
    assert "path is required for the extract operation" in str(verr.value)


@pytest.mark.asyncio
async def test_template_node_renders_loops_over_state(executor: Executor) -> None:
    doc = chain_doc(
        node("user", "SetVariableNode", variables={"name": "{{inputs.name}}"}),
        node(
            "letter",
            "TemplateNode",
            template=(
                "Dear {{ user.name }},\n"
                "{% for item in inputs.items %}- {{ item.qty }} x {{ item.sku }}\n{% endfor %}"
                "Total: {{ total }} {{ inputs.items | length }} {{ missing }}|"
                "{{ inputs.meta | json }}"
            ),
            variables={"total": "{{inputs.total}}"},
        ),
    )
    inputs = {
        "name": "Ada",
        "items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1}],
        "total": 30,
        "meta": {"k": "ü"},
    }
    record = await run(executor, doc, inputs)
    assert results(record)["letter"] == {
        "text": 'Dear Ada,\n- 2 x A1\n- 1 x B2\nTotal: 30 2 |{"k": "ü"}'
    }
    events = await executor.store.list_events(record.id)
    # The runtime leaves the Jinja template to the node: no unresolved-template noise.
    assert not [e for e in events if e.type == "template_unresolved"]


@pytest.mark.asyncio
async def test_template_node_errors() -> None:
    with pytest.raises(ValidationError) as err:
        TemplateNode.model_validate({"template": "{% for x in %}"})
    assert err.value.errors()[0]["loc"] == ("template",)
    assert "template syntax error on line 1" in err.value.errors()[0]["msg"]
    with pytest.raises(NodeError) as nerr:
        await run_node("TemplateNode", {"template": "Hi {{ nobody }}", "strict": True})
    assert str(nerr.value) == "template: undefined name: 'nobody' is undefined"
    # The sandbox refuses Python internals: nothing in lenient mode, an error in strict.
    escape = "{{ ''.__class__.__mro__ }}"
    assert await run_node("TemplateNode", {"template": escape}) == {"text": ""}
    with pytest.raises(NodeError) as nerr:
        await run_node("TemplateNode", {"template": escape, "strict": True})
    assert str(nerr.value) == (
        "template: SecurityError: access to attribute '__class__' of 'str' object is unsafe."
    )


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"operation": "upper", "text": "abc"}, "ABC"),
        ({"operation": "strip", "text": "  a b  "}, "a b"),
        ({"operation": "replace", "text": "a-b-c", "pattern": "-", "replacement": "+"}, "a+b+c"),
        (
            {
                "operation": "regex_replace",
                "text": "2024-05-01",
                "pattern": r"(\d+)-(\d+)-(\d+)",
                "replacement": r"\3/\2/\1",
            },
            "01/05/2024",
        ),
        (
            {"operation": "regex_extract", "text": "id=4 id=17", "pattern": r"id=(\d+)"},
            ["4", "17"],
        ),
        (
            {
                "operation": "regex_extract",
                "text": "Cat cat",
                "pattern": "cat",
                "ignore_case": True,
            },
            ["Cat", "cat"],
        ),
        ({"operation": "split", "text": "a, b,c", "separator": ","}, ["a", " b", "c"]),
        ({"operation": "split", "text": " a  b "}, ["a", "b"]),
        ({"operation": "join", "text": ["a", 1, None], "separator": "/"}, "a/1/"),
        ({"operation": "truncate", "text": "abcdefgh", "max_length": 5}, "abcd…"),
        ({"operation": "truncate", "text": "abc", "max_length": 5}, "abc"),
        ({"operation": "slugify", "text": "Crème Brûlée: 2 ways!"}, "creme-brulee-2-ways"),
    ],
)
async def test_text_processing(config: dict[str, object], expected: object) -> None:
    assert await run_node("TextProcessingNode", config) == {"result": expected}


def test_text_processing_config_errors() -> None:
    with pytest.raises(ValidationError) as err:
        TextProcessingNode.model_validate({"operation": "regex_extract", "pattern": "(a"})
    assert "pattern is not a valid regular expression" in str(err.value)
    with pytest.raises(ValidationError) as err:
        TextProcessingNode.model_validate({"operation": "truncate"})
    assert "max_length is required for truncate" in str(err.value)


@pytest.mark.asyncio
async def test_filter_and_sort() -> None:
    people = [
        {"name": "Ada", "age": 36, "city": "London"},
        {"name": "bob", "age": 17, "city": "Paris"},
        {"name": "Cy", "city": "london"},
        {"name": "Di", "age": 52, "city": "Rome"},
    ]
    adults = await run_node(
        "FilterNode",
        {"items": people, "conditions": [{"field": "age", "operator": ">=", "value": 18}]},
    )
    assert [p["name"] for p in adults["result"]] == ["Ada", "Di"]
    assert (adults["count"], adults["removed"]) == (2, 2)
    londoners = await run_node(
        "FilterNode",
        {
            "items": people,
            "conditions": [
                {"field": "city", "operator": "equals", "value": "LONDON", "case_sensitive": False},
                {"field": "age", "operator": "less_than", "value": 18},
            ],
            "condition_logic": "or",
        },
    )
    assert [p["name"] for p in londoners["result"]] == ["Ada", "bob", "Cy"]
    numbers = await run_node(
        "FilterNode", {"items": [1, 5, 10], "conditions": [{"operator": ">", "value": 4}]}
    )
    assert numbers["result"] == [5, 10]
    by_age = await run_node("SortNode", {"items": people, "key": "age", "descending": True})
    assert [p["name"] for p in by_age["result"]] == ["Di", "Ada", "bob", "Cy"]
    first = await run_node("SortNode", {"items": people, "key": "age", "missing": "first"})
    assert [p["name"] for p in first["result"]] == ["Cy", "bob", "Ada", "Di"]
    with pytest.raises(NodeError) as err:
        await run_node("SortNode", {"items": [3, "a"]})
    assert str(err.value) == "items: cannot order values of types int, str"


@pytest.mark.asyncio
async def test_schema_validation_reports_each_field() -> None:
    schema = {
        "type": "object",
        "properties": {"email": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
        "required": ["email"],
    }
    ok = await run_node("SchemaValidationNode", {"data": {"email": "a@b"}, "json_schema": schema})
    assert ok == {"valid": True, "errors": [], "data": {"email": "a@b"}}
    bad = await run_node("SchemaValidationNode", {"data": {"age": -1}, "json_schema": schema})
    assert bad["valid"] is False
    assert bad["errors"] == [
        {"path": "data", "message": "'email' is a required property"},
        {"path": "data.age", "message": "-1 is less than the minimum of 0"},
    ]
    with pytest.raises(NodeError) as err:
        await run_node(
            "SchemaValidationNode",
            {"data": {"email": 3}, "json_schema": schema, "fail_on_invalid": True},
        )
    assert (
        str(err.value) == "data: does not match the schema: data.email: 3 is not of type 'string'"
    )
    with pytest.raises(ValidationError) as verr:
        await run_node("SchemaValidationNode", {"json_schema": {"type": "strange"}})
    assert verr.value.errors()[0]["loc"] == ("json_schema",)


@pytest.mark.asyncio
async def test_date_time_parse_shift_and_format() -> None:
    out = await run_node(
        "DateTimeNode",
        {
            "operation": "parse",
            "value": "2024-03-30T23:30:00Z",
            "timezone": "Europe/Paris",
            "add_days": 1,
            "output_format": "%d.%m.%Y %H:%M",
        },
    )
    assert out["iso"] == "2024-04-01T01:30:00+02:00"  # crosses the DST change
    assert out["formatted"] == "01.04.2024 01:30"
    assert out["weekday"] == "Monday"
    parsed = await run_node(
        "DateTimeNode",
        {"operation": "parse", "value": "05/01/2024", "input_format": "%d/%m/%Y"},
    )
    assert parsed["date"] == "2024-01-05" and parsed["iso"] == "2024-01-05T00:00:00+00:00"
    before = dt.datetime.now(dt.UTC).timestamp()
    now = await run_node("DateTimeNode", {"operation": "now"})
    assert before <= now["timestamp"] <= dt.datetime.now(dt.UTC).timestamp()
    with pytest.raises(NodeError) as err:
        await run_node("DateTimeNode", {"operation": "parse", "value": "not a date"})
    assert str(err.value).startswith("value: cannot read 'not a date' as a time")
    with pytest.raises(ValidationError) as verr:
        await run_node("DateTimeNode", {"timezone": "Mars/Olympus"})
    assert "unknown time zone 'Mars/Olympus'" in str(verr.value)


@pytest.mark.asyncio
async def test_debug_node_taps_state_and_emits_an_event(executor: Executor) -> None:
    doc = chain_doc(
        node("fetch", "SetVariableNode", variables={"user": {"id": 7}}),
        node("look", "DebugNode", message="user is {{fetch.user.id}}", tap_path="fetch.user"),
        node("miss", "DebugNode", tap_path="results.nothing.here"),
    )
    record = await run(executor, doc)
    out = results(record)
    assert out["look"] == {
        "message": "user is 7",
        "tap_path": "fetch.user",
        "found": True,
        "value": {"id": 7},
    }
    assert out["miss"]["found"] is False and out["miss"]["value"] is None
    messages = [e for e in await executor.store.list_events(record.id) if e.type == "node_message"]
    assert [(e.node, e.data["message"], e.data["value"]) for e in messages] == [
        ("look", "user is 7", {"id": 7}),
        ("miss", None, None),
    ]


@pytest.mark.asyncio
async def test_debug_include_state_and_delay() -> None:
    out = await run_node(
        "DebugNode", {"include_state": True}, {"inputs": {"a": 1}, "results": {"x": 2}}
    )
    assert out["state"]["inputs"] == {"a": 1} and out["state"]["results"] == {"x": 2}
    assert await run_node("DelayNode", {"duration_seconds": 0.01}) == {"duration_seconds": 0.01}
    with pytest.raises(ValidationError):
        await run_node("DelayNode", {"duration_seconds": -1})
