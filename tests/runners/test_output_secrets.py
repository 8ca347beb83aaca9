"""What node code prints or logs reaches the server's log without the run's secrets.

A runner's stdout and stderr are the server's; a code node that printed a resolved
``[[credential]]`` (or logged it) wrote the secret there in clear, although events,
state and errors were scrubbed.
"""

from __future__ import annotations

from pathlib import Path

from .helpers import client, execute, start, wait_status

SECRET = "s3cr3t-VALUE-for-the-log-0987"
BODY = (
    "import logging, sys\n"
    "print('printed', self.key)\n"
    "print('to stderr', self.key, file=sys.stderr)\n"
    "logging.getLogger('user').error('logged %s', self.key)\n"
    "return 'done'"
)


def test_a_secret_printed_or_logged_by_a_node_is_redacted_in_the_server_log(
    tmp_path: Path,
) -> None:
    server = start(tmp_path / "server", runners=1)
    try:
        api = client(server)
        made = api.post("/credentials", json={"name": "api_key", "value": SECRET})
        assert made.status_code == 201, made.text
        doc = {
            "name": "talker",
            "graph": {
                "format": "frozen-ir",
                "ir": {
                    "entrypoint": "c",
                    "nodes": [
                        {
                            "kind": "code",
                            "id": "c",
                            "body": BODY,
                            "injected": ["key"],
                            "config": {"key": "[[api_key]]"},
                        }
                    ],
                    "edges": [{"source": "c", "target": "__end__"}],
                },
            },
        }
        created = api.post("/workflows", json=doc)
        assert created.status_code == 201, created.text
        run = wait_status(api, execute(api, created.json()["id"]))
        assert run["status"] == "succeeded", run
    finally:
        server.stop()
    log = server.log.read_text(errors="replace")
    assert "printed [redacted:api_key]" in log
    assert "to stderr [redacted:api_key]" in log
    assert "logged [redacted:api_key]" in log
    assert SECRET not in log
