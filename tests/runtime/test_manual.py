"""Manual triggers' settings: who may start a workflow by hand, and with what."""

from __future__ import annotations

from typing import Any

import pytest

from orcheo_jupyter.runtime.manual import ManualPolicy, ManualRefused, check_start, manual_policy
from orcheo_jupyter.spec.io import document_from_data
from tests.conftest import linear_doc


def _doc(*manual: dict[str, Any], node: dict[str, Any] | None = None) -> Any:
    data = linear_doc("a")
    data["triggers"] = [{"type": "manual", "config": c} for c in manual]
    if node is not None:
        data["graph"]["ir"]["nodes"].insert(
            0, {"kind": "builtin", "id": "start", "type": "ManualTriggerNode", "config": node}
        )
    return document_from_data(data)


def test_no_manual_trigger_means_no_policy_and_inputs_pass_through() -> None:
    assert manual_policy(_doc()) is None
    assert check_start(None, actor=None, comment=None, inputs={"x": 1}, since_last_start=0) == {
        "x": 1
    }


def test_document_triggers_and_trigger_nodes_combine_to_the_strictest() -> None:
    policy = manual_policy(
        _doc(
            {"allowed_actors": ["ada", "bo"], "default_payload": {"days": 7}},
            {"cooldown_seconds": 30, "default_payload": {"limit": 5}},
            node={"require_comment": True, "allowed_actors": ["ada"], "cooldown_seconds": 10},
        )
    )
    assert policy == ManualPolicy(
        allowed=(frozenset({"ada", "bo"}), frozenset({"ada"})),
        require_comment=True,
        default_payload={"days": 7, "limit": 5},
        cooldown_seconds=30,
    )


def test_disabled_manual_triggers_ask_nothing() -> None:
    data = linear_doc("a")
    data["triggers"] = [{"type": "manual", "enabled": False, "config": {"require_comment": True}}]
    assert manual_policy(document_from_data(data)) is None


def test_a_start_must_satisfy_every_setting() -> None:
    policy = ManualPolicy(
        allowed=(frozenset({"ada", "bo"}), frozenset({"ada"})),
        require_comment=True,
        default_payload={"days": 7},
        cooldown_seconds=60,
    )

    def start(**kw: Any) -> dict[str, Any]:
        args: dict[str, Any] = {
            "actor": "ada",
            "comment": "monthly report",
            "inputs": {},
            "since_last_start": None,
        }
        return check_start(policy, **{**args, **kw})

    assert start() == {"days": 7}  # no inputs given: the default payload
    assert start(inputs={"days": 1}) == {"days": 1}  # given inputs win whole
    with pytest.raises(ManualRefused, match="bo may not start") as refused:
        start(actor="bo")  # allowed by one trigger, not by the other
    assert refused.value.status == 403
    for comment in (None, "   "):
        with pytest.raises(ManualRefused, match="requires a comment") as refused:
            start(comment=comment)
        assert (refused.value.status, refused.value.code) == (422, "comment_required")
    with pytest.raises(ManualRefused, match="try again in 45 s") as refused:
        start(since_last_start=15.2)
    assert (refused.value.status, refused.value.retry_after) == (429, 45)
    assert start(since_last_start=60.0) == {"days": 7}


def test_a_trigger_node_with_bad_settings_is_a_problem_not_a_policy() -> None:
    from orcheo_jupyter.triggers.config import triggers_of

    data = linear_doc("a")
    data["triggers"] = [{"type": "manual", "config": {"cooldown_seconds": -1}}]
    specs, problems = triggers_of(document_from_data(data), "wf")
    assert specs == [] and problems[0].field == "triggers[0].config.cooldown_seconds"
