"""Installing a bundle's documents into a store: what each start of ``--bundle`` stores."""

from __future__ import annotations

import asyncio
from pathlib import Path

from orcheo_jupyter import spec
from orcheo_jupyter.export.deploy import BundledDocument, install
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.store.factory import open_repository


def _bundle(text: str) -> list[BundledDocument]:
    doc = spec.document_from_data(
        {
            "id": "wf-greet",
            "name": "greet",
            "graph": {
                "format": "frozen-ir",
                "ir": {
                    "entrypoint": "say",
                    "nodes": [
                        {
                            "kind": "builtin",
                            "id": "say",
                            "type": "SetVariableNode",
                            "config": {"variables": {"text": text}},
                        }
                    ],
                    "edges": [{"source": "say", "target": "__end__"}],
                },
            },
        }
    )
    return [BundledDocument(Path("greet.orcheo.json"), doc)]


def test_a_rollback_to_an_earlier_bundle_is_deployed_as_a_new_version(tmp_path: Path) -> None:
    async def deploy_a_b_a() -> list[tuple[str, int]]:
        store = await open_repository(Settings(data_dir=tmp_path))
        try:
            outcomes = []
            for text in ("A", "A", "B", "A"):
                (done,) = await install(store, _bundle(text))
                outcomes.append((done.outcome, done.version))
            stored = await store.get_version("wf-greet")
            assert stored.document is not None
            say = stored.document["graph"]["ir"]["nodes"][0]["config"]["variables"]["text"]
            outcomes.append((say, stored.version))
            return outcomes
        finally:
            await store.close()

    assert asyncio.run(deploy_a_b_a()) == [
        ("created", 1),
        ("unchanged", 1),
        ("updated", 2),
        ("updated", 3),
        ("A", 3),
    ]
