"""Span and attribute names, shared by the spans we make and the views that read them."""

from __future__ import annotations

RUN = "orcheo.run"
SUBMIT = "orcheo.submit"
NODE = "orcheo.node"
#: One node run alone ("test node"); its spans are stored under the test id.
NODE_TEST = "orcheo.node_test"

RUN_ID = "orcheo.run.id"
RUN_OPENING = "orcheo.run.opening"
RUN_STATUS = "orcheo.run.status"
WORKFLOW_ID = "orcheo.workflow.id"
WORKFLOW_VERSION = "orcheo.workflow.version"
NODE_ID = "orcheo.node.id"
NODE_ATTEMPTS = "orcheo.node.attempts"
NODE_STATUS = "orcheo.node.status"
NODE_RETRY = "orcheo.node.retry"
TEST_ID = "orcheo.test.id"
#: How a node test's id starts; its spans are stored (and read back) under that id.
TEST_ID_PREFIX = "test-"
TEST_STATUS = "orcheo.test.status"
#: On a link: how the linked span relates (``resumed_by``: the request that resumed).
LINK_KIND = "orcheo.link"

# OpenTelemetry's GenAI and HTTP semantic conventions.
GENAI_OPERATION = "gen_ai.operation.name"
GENAI_SYSTEM = "gen_ai.system"
GENAI_REQUEST_MODEL = "gen_ai.request.model"
GENAI_RESPONSE_MODEL = "gen_ai.response.model"
GENAI_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GENAI_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GENAI_TOTAL_TOKENS = "gen_ai.usage.total_tokens"
TOKENS_ESTIMATED = "orcheo.usage.estimated"
MODEL_LATENCY_MS = "orcheo.model.latency_ms"
HTTP_METHOD = "http.request.method"
HTTP_STATUS = "http.response.status_code"
URL_FULL = "url.full"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
ERROR_TYPE = "error.type"
