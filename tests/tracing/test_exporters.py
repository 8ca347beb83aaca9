"""Exporters the standard way: OTEL_TRACES_EXPORTER and OTEL_EXPORTER_OTLP_* in real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orcheo_jupyter.tracing import TraceSettings, TracingConfigError
from tests.conftest import code_doc, linear_doc

from .otlp_receiver import OtlpReceiver


def _cli_run(
    tmp_path: Path, doc: dict[str, object], **env: str
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "traced.orcheo.json"
    path.write_text(json.dumps(doc))
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
        "ORCHEO_DATA_DIR": str(tmp_path / "data"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "run", str(path)],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


def test_the_cli_exports_its_run_to_an_otlp_http_endpoint(tmp_path: Path) -> None:
    with OtlpReceiver() as receiver:
        done = _cli_run(
            tmp_path,
            linear_doc("a", "b"),
            OTEL_TRACES_EXPORTER="otlp",
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_SERVICE_NAME="nightly-etl",
            OTEL_RESOURCE_ATTRIBUTES="deployment.environment=test",
        )
        assert done.returncode == 0, done.stderr
        # The process flushed its batch before it exited: nothing to wait for.
        spans = receiver.spans()
    assert receiver.paths and set(receiver.paths) == {"/v1/traces"}
    assert set(receiver.content_types) == {"application/x-protobuf"}
    assert sorted(s["name"] for s in spans) == [
        "orcheo.node",
        "orcheo.node",
        "orcheo.run",
        "orcheo.submit",
    ]
    assert {s["service"] for s in spans} == {"nightly-etl"}
    assert {s["resource"]["deployment.environment"] for s in spans} == {"test"}
    assert {s["scope"] for s in spans} == {"orcheo_jupyter"}
    assert len({s["trace_id"] for s in spans}) == 1
    run = next(s for s in spans if s["name"] == "orcheo.run")
    nodes = [s for s in spans if s["name"] == "orcheo.node"]
    assert sorted(n["attributes"]["orcheo.node.id"] for n in nodes) == ["a", "b"]
    assert {n["parent_span_id"] for n in nodes} == {run["span_id"]}
    assert run["attributes"]["orcheo.run.status"] == "succeeded"
    assert run["status"] == 1  # STATUS_CODE_OK


def test_the_console_exporter_prints_spans_and_none_prints_nothing(tmp_path: Path) -> None:
    doc = code_doc("return 7", name="seven")
    console = _cli_run(tmp_path, doc, OTEL_TRACES_EXPORTER="console")
    assert console.returncode == 0, console.stderr
    assert json.loads(console.stdout.split("\n}\n", 1)[0] + "\n}")["results"] == {"c": 7}
    assert '"name": "orcheo.node"' in console.stdout
    assert '"orcheo.node.id": "c"' in console.stdout
    quiet = _cli_run(tmp_path, doc, OTEL_TRACES_EXPORTER="none")
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["results"] == {"c": 7}


def test_a_bad_exporter_setting_is_refused_by_name(tmp_path: Path) -> None:
    done = _cli_run(tmp_path, code_doc("return 1"), OTEL_TRACES_EXPORTER="zipkin")
    assert done.returncode != 0
    assert (
        "OTEL_TRACES_EXPORTER: unknown exporter 'zipkin'; "
        "expected a comma-separated list of console, otlp, none"
    ) in done.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, TraceSettings((), False)),
        ({"OTEL_TRACES_EXPORTER": "none"}, TraceSettings((), False)),
        ({"OTEL_TRACES_EXPORTER": "otlp, console"}, TraceSettings(("otlp", "console"), False)),
        ({"ORCHEO_TRACE_STORE": "true"}, TraceSettings((), True)),
        (
            {"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"},
            TraceSettings((), False),
        ),
    ],
)
def test_trace_settings_from_the_environment(env: dict[str, str], expected: TraceSettings) -> None:
    assert TraceSettings.from_env(env) == expected
    assert TraceSettings.from_env(env).enabled == bool(expected.exporters or expected.store)


def test_unsupported_values_name_the_variable() -> None:
    with pytest.raises(TracingConfigError, match="OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc'"):
        TraceSettings.from_env(
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
        )
    with pytest.raises(TracingConfigError, match="ORCHEO_TRACE_STORE must be true or false"):
        TraceSettings.from_env({"ORCHEO_TRACE_STORE": "maybe"})
