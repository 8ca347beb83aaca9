"""Run admission below the surfaces: every executor backend's submit goes through it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter.runtime.admission import ManualStart, admit_batch, cooldown_lock
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.manual import ManualRefused
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.spec import DocumentError, document_from_data
from orcheo_jupyter.spec.values import UnstorableValue
from tests.conftest import code_doc, linear_doc

pytestmark = pytest.mark.asyncio

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "days": {"type": "integer", "default": 7}},
    "required": ["name"],
    "additionalProperties": False,
}


def _schema_doc() -> dict[str, Any]:
    doc = linear_doc("a")
    doc["inputs_schema"] = SCHEMA
    return doc


def _manual_doc(**manual: Any) -> dict[str, Any]:
    doc = code_doc("return state['inputs']")
    doc["triggers"] = [{"type": "manual", "config": manual}]
    return doc


async def _runs(executor: Executor) -> int:
    return (await executor.store.list_runs(limit=100))[1]


async def test_submit_refuses_inputs_that_do_not_fit_and_stores_nothing(
    executor: Executor,
) -> None:
    with pytest.raises(DocumentError) as refused:
        await executor.submit(_schema_doc(), {"name": 5, "extra": 1})
    assert sorted(p.field or "" for p in refused.value.problems) == ["inputs", "inputs.name"]
    assert await _runs(executor) == 0
    record = await executor.execute(_schema_doc(), {"name": "Ada"})
    assert record.status == "succeeded" and record.inputs == {"name": "Ada", "days": 7}


async def test_the_start_options_are_checked_by_name_and_honoured(executor: Executor) -> None:
    # admit, submit and execute take one declared set of options (StartOptions): a
    # misspelt one is refused as a keyword parameter would be, before anything is stored.
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'workflow' \(the options"):
        await executor.submit(_schema_doc(), {"name": "Ada"}, workflow="wf-1")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'runid'"):
        await executor.execute(_schema_doc(), {"name": "Ada"}, runid="r1")  # type: ignore[call-arg]
    assert await _runs(executor) == 0
    record = await executor.execute(
        _schema_doc(),
        {"name": "Ada"},
        workflow_id="wf-1",
        version=3,
        config={"configurable": {"team": "x"}},
        run_id="run-given",
    )
    assert (record.id, record.workflow_id, record.version) == ("run-given", "wf-1", 3)
    assert record.config["configurable"]["team"] == "x"


async def test_a_schema_that_is_not_json_schema_refuses_every_run(executor: Executor) -> None:
    doc = linear_doc("a")
    doc["inputs_schema"] = {"type": "objekt"}
    with pytest.raises(DocumentError, match=r"inputs_schema\.type: not a valid JSON Schema"):
        await executor.submit(doc, {})
    assert await _runs(executor) == 0


async def test_manual_rules_apply_to_a_start_by_hand_only(executor: Executor) -> None:
    doc = _manual_doc(allowed_actors=["ada"], require_comment=True, default_payload={"x": 1})
    with pytest.raises(ManualRefused, match="bo may not start") as refused:
        await executor.submit(doc, {}, manual=ManualStart("bo", "why not"))
    assert refused.value.status == 403
    with pytest.raises(ManualRefused, match="requires a comment"):
        await executor.submit(doc, {}, manual=ManualStart("ada", None))
    assert await _runs(executor) == 0
    run_id = await executor.submit(doc, {}, manual=ManualStart("ada", "monthly"))
    record = await executor.wait(run_id)
    assert record.inputs == {"x": 1}  # the trigger's default payload
    assert record.config["manual"] == {"actor": "ada", "comment": "monthly"}
    # Not a start by hand (a trigger, the Python API): the manual trigger asks nothing.
    assert (await executor.execute(doc, {"x": 2})).status == "succeeded"


async def test_the_cooldown_is_stored_so_it_holds_across_processes(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "shared", durability="sync")
    one = await Executor.open(settings)
    two = await Executor.open(settings)  # another server on the same database
    try:
        doc = _manual_doc(cooldown_seconds=600)
        first = await one.submit(doc, {}, workflow_id="wf", manual=ManualStart("ada", None))
        with pytest.raises(ManualRefused) as refused:
            await two.submit(doc, {}, workflow_id="wf", manual=ManualStart("bo", None))
        assert (refused.value.status, refused.value.code) == (429, "cooldown")
        assert 595 <= (refused.value.retry_after or 0) <= 600
        assert "one start every 600 s" in refused.value.message
        # Starts that are not by hand (triggers, dispatch) are not held back.
        await two.execute(doc, {}, workflow_id="wf")
        await one.wait(first)
        assert await two.store.lock_owner(cooldown_lock("wf")) is not None
    finally:
        await one.aclose()
        await two.aclose()


async def test_a_start_refused_later_in_admission_takes_no_cooldown(executor: Executor) -> None:
    doc = _manual_doc(cooldown_seconds=600)
    doc["inputs_schema"] = {"type": "object", "required": ["name"]}
    with pytest.raises(DocumentError, match="'name' is a required property"):
        await executor.submit(doc, {}, workflow_id="wf", manual=ManualStart("ada", None))
    assert await executor.store.lock_owner(cooldown_lock("wf")) is None
    await executor.submit(doc, {"name": "x"}, workflow_id="wf", manual=ManualStart("ada", None))


async def test_a_batch_is_admitted_whole_with_each_run_named() -> None:
    doc = document_from_data(_schema_doc())
    assert await admit_batch(doc, [{"name": "a"}, {"name": "b", "days": 1}], workflow_id="wf") == [
        {"name": "a", "days": 7},
        {"name": "b", "days": 1},
    ]
    with pytest.raises(DocumentError) as refused:
        await admit_batch(doc, [{"name": "a"}, {"name": 2}], workflow_id="wf")
    assert [p.field for p in refused.value.problems] == ["runs[1].inputs.name"]
    with pytest.raises(UnstorableValue) as unstorable:
        await admit_batch(doc, [{"name": "a", "n": float("nan")}], workflow_id="wf")
    assert [p.field for p in unstorable.value.problems] == ["runs[0].inputs.n"]


async def test_a_run_stopped_by_its_recursion_limit_reports_that_limit(executor: Executor) -> None:
    doc = code_doc("return 1", node_id="spin")
    doc["graph"]["ir"]["edges"] = [{"source": "spin", "target": "spin"}]
    record = await executor.execute(doc, {}, config={"recursion_limit": 37})
    assert record.status == "failed"
    assert record.error == ("run stopped after 37 steps (recursion limit); a loop may never end")
    with pytest.raises(DocumentError, match=r"config\.recursion_limit: must be an integer"):
        await executor.submit(doc, {}, config={"recursion_limit": 10**9})


async def test_the_depth_limit_is_configurable_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORCHEO_MAX_INPUT_DEPTH", "3")
    executor = await Executor.open(Settings.from_env(data_dir=tmp_path / "d"))
    try:
        assert (await executor.execute(code_doc("return 1"), {"a": {"b": {"c": 1}}})).inputs
        with pytest.raises(UnstorableValue) as refused:
            await executor.submit(code_doc("return 1"), {"a": {"b": {"c": [1]}}})
        [problem] = refused.value.problems
        assert problem.field == "inputs.a.b.c"
        assert problem.message == (
            "nested deeper than the limit of 3 levels (max_input_depth, ORCHEO_MAX_INPUT_DEPTH)"
        )
    finally:
        await executor.aclose()
    monkeypatch.setenv("ORCHEO_MAX_INPUT_DEPTH", "500")
    with pytest.raises(ValueError, match="max_input_depth must be between 1 and 200"):
        Settings.from_env()


async def test_a_config_whose_configurable_is_not_an_object_is_refused_before_the_run(
    executor: Executor,
) -> None:
    # %orcheo run --config '{"configurable": 1}' left a run "running" forever: the
    # backend's task died building the LangGraph config and nothing stored the failure.
    doc = code_doc("return 1")
    with pytest.raises(DocumentError) as refused:
        await executor.submit(doc, {}, config={"configurable": 1})
    assert [p.field for p in refused.value.problems] == ["config.configurable"]
    assert "must be an object" in str(refused.value)
    assert await executor.store.list_runs() == ([], 0)
