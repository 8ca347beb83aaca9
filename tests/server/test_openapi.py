"""The OpenAPI document: checked in, served, complete, and true (schemathesis).

Schemathesis runs against a real ``jupyter orcheo`` subprocess (its HTTP client
is synchronous, so it cannot share the in-process test server's event loop).
``ORCHEO_FUZZ_EXAMPLES`` / ``ORCHEO_FUZZ_SEED`` widen or vary the search.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orcheo_jupyter.server.openapi import CHECKED_IN, build_openapi, openapi_text
from orcheo_jupyter.server.routes import routes
from orcheo_jupyter.store.records import VersionRecord, WorkflowRecord
from orcheo_jupyter.triggers.records import Delivery

from .conftest import Call
from .headless import Headless


def test_checked_in_document_is_current() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == openapi_text(), (
        "schema/openapi.json is stale: run `python -m orcheo_jupyter.server.openapi --write`"
    )


def test_document_covers_every_route_and_operation() -> None:
    doc = build_openapi()
    documented = {r.path for r in routes() if r.documented}
    assert set(doc["paths"]) == documented
    operation_ids = [
        op["operationId"]
        for item in doc["paths"].values()
        for key, op in item.items()
        if key != "parameters"
    ]
    assert len(operation_ids) == len(set(operation_ids)) >= 18
    execute = doc["paths"]["/orcheo/api/workflows/{workflow_id}/execute"]["post"]
    assert set(execute["responses"]) == {"202", "400", "403", "404", "413", "415", "422", "429"}
    assert execute["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ExecutionAccepted"
    }


def test_record_shaped_answers_document_exactly_what_the_record_answers() -> None:
    """Summaries of workflows and versions and stored deliveries are the store records'
    ``as_dict`` (private fields left out): the document lists those keys, all required."""
    schemas = build_openapi()["components"]["schemas"]
    at = "2026-12-07T00:00:00+00:00"
    answers = {
        "WorkflowSummary": WorkflowRecord("w", "n", "n", "", ["t"], 1, at, at).as_dict(),
        "VersionSummary": {
            k: v for k, v in VersionRecord("w", 1, "c", at).as_dict().items() if k != "document"
        },
        "DeliveryOut": Delivery("d", "w", "j", "r", at, "POST", signature="s").as_dict(),
    }
    for name, answer in answers.items():
        schema = schemas[name]
        assert list(schema["properties"]) == list(answer), name
        assert schema["required"] == list(answer), name
    assert "signature" not in schemas["DeliveryOut"]["properties"]  # stays inside the server


async def test_served_document_uses_the_server_base_url(api: Call, jp_base_url: str) -> None:
    reply = await api("GET", "openapi.json")
    assert reply.code == 200
    assert reply.body == json.loads(json.dumps(build_openapi(jp_base_url)))
    assert reply.body["servers"] == [{"url": jp_base_url}]


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(
    headless: Headless, tmp_path: Path
) -> None:
    examples = os.environ.get("ORCHEO_FUZZ_EXAMPLES", "10")
    seed = os.environ.get("ORCHEO_FUZZ_SEED", "20261121")
    st = Path(sys.executable).with_name("st")
    result = subprocess.run(
        [
            str(st),
            "run",
            str(CHECKED_IN),
            "--url",
            headless.url,
            "--header",
            f"Authorization: token {headless.token}",
            # Every check, including auth enforcement, negative-data rejection and
            # response-schema conformance. Not positive_data_acceptance: the API
            # refuses schema-valid documents that do not build (a graph with no
            # entrypoint, a script without a graph), which no schema can express.
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            examples,
            "--seed",
            seed,
            "--no-color",
            "--report",
            "ndjson",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "passed" in output and " failed" not in output
    log = headless.log.read_text()
    assert " 500 " not in log and "Traceback" not in log, log[-6000:]
