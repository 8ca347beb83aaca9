"""Trigger settings from the document's ``triggers`` and from trigger nodes, with clear problems."""

from __future__ import annotations

from typing import Any

from orcheo_jupyter.nodes.registry import check_node
from orcheo_jupyter.spec import validate_document
from orcheo_jupyter.spec.io import document_from_data
from orcheo_jupyter.triggers import CronConfig, DispatchPolicy, WebhookConfig, triggers_of
from tests.conftest import linear_doc


def doc_with(triggers: list[dict[str, Any]], *nodes: dict[str, Any]) -> Any:
    doc = linear_doc("a")
    doc["triggers"] = triggers
    if nodes:
        ir = doc["graph"]["ir"]
        ir["nodes"] = [*nodes, *ir["nodes"]]
        ir["edges"] = [{"source": nodes[0]["id"], "target": "a"}, *ir["edges"][1:]]
        ir["entrypoint"] = doc["graph"]["entrypoint"] = nodes[0]["id"]
    return document_from_data(doc)


def test_document_triggers_and_trigger_nodes_are_both_read() -> None:
    doc = doc_with(
        [
            {"type": "cron", "id": "nightly", "config": {"expression": "0 3 * * *"}},
            {"type": "manual", "config": {}},
        ],
        {
            "kind": "builtin",
            "id": "hook",
            "type": "WebhookTriggerNode",
            "config": {"shared_secret_header": "X-Token", "shared_secret": "[[tok]]"},
        },
        {
            "kind": "builtin",
            "id": "every5",
            "type": "CronTriggerNode",
            "config": {"expression": "*/5 * * * *", "allow_overlapping": True},
        },
    )
    specs, problems = triggers_of(doc, "wf")
    assert problems == []
    assert [(s.trigger_id, s.type, s.source, s.key) for s in specs] == [
        ("nightly", "cron", "document", "wf:nightly"),
        ("manual-2", "manual", "document", "wf:manual-2"),
        ("hook", "webhook", "node", "wf:hook"),
        ("every5", "cron", "node", "wf:every5"),
    ]
    hook = specs[2].config
    assert isinstance(hook, WebhookConfig) and hook.auth == "shared-secret"
    every5 = specs[3].config
    assert isinstance(every5, CronConfig) and every5.overlap == "allow"


def test_problems_name_the_field() -> None:
    doc = doc_with(
        [
            {"type": "cron", "config": {"expression": "61 * * * *", "timezone": "Mars/Olympus"}},
            {"type": "webhook", "config": {"hmac": {"secret": "hunter2"}}},
            {"type": "webhook", "config": {}},
            {"type": "webhook", "id": "second", "config": {}},
        ]
    )
    _, problems = triggers_of(doc, "wf")
    assert [(p.field, p.message) for p in problems] == [
        (
            "triggers[0].config.expression",
            "Value error, '61 * * * *' is not a valid cron expression: "
            "is not acceptable, out of range",
        ),
        (
            "triggers[0].config.timezone",
            "Value error, unknown time zone 'Mars/Olympus' "
            "(expected an IANA name like Europe/Paris)",
        ),
        (
            "triggers[1].config.hmac.secret",
            "Value error, must be a [[credential]] reference: the document must not hold the "
            "secret itself",
        ),
        (
            "triggers",
            "2 enabled webhook triggers: a workflow has one webhook address, so enable only one",
        ),
    ]


def test_a_template_in_any_trigger_setting_is_named_by_validation_and_by_the_services() -> None:
    doc = doc_with(
        [{"type": "webhook", "config": {"idempotency_header": "{{inputs.header}}"}}],
        {
            "kind": "builtin",
            "id": "poll",
            "type": "HttpPollingTriggerNode",
            "config": {"url": "{{inputs.url}}", "interval_seconds": 60},
        },
        {
            "kind": "builtin",
            "id": "nightly",
            "type": "CronTriggerNode",
            "config": {"expression": "0 3 * * *", "timezone": "{{inputs.zone}}"},
        },
    )
    why = "trigger settings are read before any run: {{templates}} cannot work"
    _, problems = triggers_of(doc, "wf")
    assert [(p.code, p.node, p.field, p.message) for p in problems] == [
        ("trigger_template", None, "triggers[0].config.idempotency_header", why),
        ("trigger_template", "poll", "graph.ir.nodes[0].config.url", why),
        ("trigger_template", "nightly", "graph.ir.nodes[1].config.timezone", why),
    ]
    # The check every surface runs before storing or running says the same, per node.
    errors = [p for p in validate_document(doc, check_node) if p.severity == "error"]
    assert [(p.code, p.node, p.field) for p in errors] == [
        ("trigger_template", "poll", "config.url"),
        ("trigger_template", "nightly", "config.timezone"),
    ]


def test_backoff_grows_exponentially_with_a_cap_and_jitter() -> None:
    policy = DispatchPolicy(backoff_seconds=2, backoff_factor=3, max_backoff_seconds=50, jitter=0)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [2, 6, 18, 50]
    jittery = DispatchPolicy(backoff_seconds=10, jitter=0.1)
    assert jittery.delay(1, 0.0) == 9.0 and jittery.delay(1, 0.5) == 10.0
    assert round(jittery.delay(1, 0.999), 3) == 10.998
