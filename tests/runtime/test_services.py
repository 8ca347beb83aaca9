"""Runtime services are one typed object: a misspelt service fails loudly, not silently."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.services import RuntimeServices
from orcheo_jupyter.settings import Settings
from tests.nodes.helpers import chain_doc, node


def test_a_misspelt_service_is_a_type_error_not_a_silent_default() -> None:
    services = RuntimeServices()
    with pytest.raises(TypeError, match="vault"):
        services.replace(vault=object())  # the field is ``secrets``
    with pytest.raises(dataclasses.FrozenInstanceError):
        services.data_dir = Path("/tmp")  # type: ignore[misc]


@pytest.mark.asyncio
async def test_the_executor_gives_its_nodes_its_store_and_data_dir(tmp_path: Path) -> None:
    executor = await Executor.open(Settings(data_dir=tmp_path, durability="sync"))
    try:
        assert executor.services.store is executor.store  # sub-workflow nodes read it
        assert executor.services.data_dir == tmp_path
        # A run started after the services change reaches the new ones.
        model = GenericFakeChatModel(messages=iter([AIMessage("Bonjour")]))
        executor.services = executor.services.replace(chat_models={"fake:fr": model})
        assert executor.services.store is executor.store  # replace keeps the rest
        doc = chain_doc(node("chat", "ChatModelNode", ai_model="fake:fr", prompt="Hello"))
        record = await executor.execute(doc, {})
        assert record.status == "succeeded", record.error
        assert record.final_state is not None
        assert record.final_state["results"]["chat"]["content"] == "Bonjour"
    finally:
        await executor.aclose()
