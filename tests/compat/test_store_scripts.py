"""Upstream's vector store objects in scripts: ``InMemoryVectorStore()`` shared by the
nodes and a script's own TaskNode, ``PineconeVectorStore(...)`` as document config."""

from __future__ import annotations

from orcheo_jupyter.workflow import Workflow

#: Index documents given as inputs when there are any, then answer from the index.
MEMORY_RAG = '''\
from langgraph.graph import END, START, StateGraph
from pydantic import Field
from orcheo.graph.state import State
from orcheo.nodes.base import TaskNode
from orcheo.nodes.conversational_search.ingestion import (
    ChunkEmbeddingNode, ChunkingStrategyNode, DocumentLoaderNode, VectorStoreUpsertNode,
)
from orcheo.nodes.conversational_search.retrieval import DenseSearchNode
from orcheo.nodes.conversational_search.vector_store import InMemoryVectorStore


class IndexSize(TaskNode):
    """How many records the shared store holds when this node runs."""

    vector_store: InMemoryVectorStore = Field(description="the store the nodes share")

    async def run(self, state, config):
        return {"records": len(self.vector_store.records)}


def orcheo_workflow():
    store = InMemoryVectorStore(collection="kb")
    graph = StateGraph(State)
    graph.add_node("before", IndexSize(name="before", vector_store=store))
    graph.add_node("loader", DocumentLoaderNode(name="loader"))
    graph.add_node("chunking", ChunkingStrategyNode(name="chunking", source_result_key="loader"))
    graph.add_node("embed", ChunkEmbeddingNode(
        name="embed",
        source_result_key="chunking",
        dense_embedding_specs={"default": {"embed_model": "local:hashing"}},
    ))
    graph.add_node("upsert", VectorStoreUpsertNode(
        name="upsert", source_result_key="embed", vector_store=store,
    ))
    graph.add_node("after", IndexSize(name="after", vector_store=store))
    graph.add_node("search", DenseSearchNode(
        name="search", vector_store=store, top_k="{{config.configurable.top_k}}",
    ))
    for a, b in [(START, "before"), ("before", "loader"), ("loader", "chunking"),
                 ("chunking", "embed"), ("embed", "upsert"), ("upsert", "after"),
                 ("after", "search"), ("search", END)]:
        graph.add_edge(a, b)
    return graph
'''

PINECONE_INDEXING = """\
from langgraph.graph import END, START, StateGraph
from orcheo.graph.state import State
from orcheo.nodes.conversational_search.ingestion import VectorStoreUpsertNode
from orcheo.nodes.conversational_search.vector_store import PineconeVectorStore


def orcheo_workflow():
    store = PineconeVectorStore(
        index_name="{{config.configurable.index}}",
        namespace="docs",
        client_kwargs={"api_key": "[[pinecone_api_key]]"},
    )
    graph = StateGraph(State)
    graph.add_node("upsert", VectorStoreUpsertNode(
        name="upsert", embedding_names=["dense"], vector_store=store,
    ))
    graph.add_edge(START, "upsert")
    graph.add_edge("upsert", END)
    return graph
"""


def test_an_in_memory_store_is_shared_by_the_nodes_and_the_scripts_task_node() -> None:
    wf = Workflow.from_script(MEMORY_RAG, "memory_rag")
    assert wf.document.graph.format == "langgraph-script"
    docs = [
        {"id": "tea", "content": "Green tea is steeped at 80 degrees for two minutes."},
        {"id": "bread", "content": "Sourdough bread rises overnight in a cool kitchen."},
    ]
    result = wf.run(
        {"documents": docs, "message": "how long to steep tea"},
        config={"configurable": {"top_k": 1}},
    )
    assert result.status == "succeeded", result.error
    out = result.state["results"]
    assert (out["before"], out["after"]) == ({"records": 0}, {"records": 2})
    assert out["upsert"]["path"] == "memory" and out["upsert"]["embedding_names"] == ["default"]
    [hit] = out["search"]["results"]
    assert hit["text"] == "Green tea is steeped at 80 degrees for two minutes."


def test_a_pinecone_store_becomes_document_config() -> None:
    wf = Workflow.from_script(PINECONE_INDEXING, "pinecone_indexing")
    [upsert] = wf.ir.nodes
    assert upsert.config["vector_store"] == {
        "type": "pinecone",
        "index_name": "{{config.configurable.index}}",
        "namespace": "docs",
        "client_kwargs": {"api_key": "[[pinecone_api_key]]"},
    }
    assert wf.validate() == []


CONVERSATION = """\
from langgraph.graph import END, START, StateGraph
from orcheo.graph.state import State
from orcheo.nodes.conversational_search.conversation import (
    ConversationStateNode, InMemoryMemoryStore,
)


def orcheo_workflow():
    memory = InMemoryMemoryStore(max_sessions="{{config.configurable.sessions}}")
    graph = StateGraph(State)
    graph.add_node("state", ConversationStateNode(name="state", memory_store=memory))
    graph.add_edge(START, "state")
    graph.add_edge("state", END)
    return graph
"""


def test_an_in_memory_memory_store_keeps_the_conversation_in_the_process() -> None:
    from orcheo_jupyter.nodes.support import conversation_memory

    conversation_memory.forget_memory()
    wf = Workflow.from_script(CONVERSATION, "chat")
    [state] = wf.ir.nodes
    assert state.config["memory_store"] == {
        "type": "memory",
        "namespace": "default",
        "max_sessions": "{{config.configurable.sessions}}",
    }
    config = {"configurable": {"sessions": 5}}
    wf.run({"session_id": "s", "user_message": "hello"}, config=config)
    result = wf.run({"session_id": "s", "user_message": "again"}, config=config)
    assert result.status == "succeeded", result.error
    history = result.state["results"]["state"]["conversation_history"]
    assert [t["content"] for t in history] == ["hello", "again"]
    conversation_memory.forget_memory()


VARIANTS = """\
from langgraph.graph import END, START, StateGraph
from pydantic import Field
from orcheo.graph.state import State
from orcheo.nodes.base import TaskNode
from orcheo.nodes.conversational_search.models import SearchResult
from orcheo.nodes.conversational_search.retrieval import SparseSearchNode


class EveryQuery(TaskNode):
    # Runs a node of its own for each query, as upstream's evaluation demo does.

    search: SparseSearchNode = Field(description="the node to run per query")

    async def run(self, state, config):
        out = []
        chunks = state["inputs"]["chunks"]
        for query in state["inputs"]["queries"]:
            found = await self.search.run({"inputs": {"message": query, "chunks": chunks}}, config)
            out.append([SearchResult.model_validate(r).id for r in found["results"]])
        return {"ids": out}


def orcheo_workflow():
    search = SparseSearchNode(name="search", chunks="{{inputs.chunks}}", top_k=1)
    graph = StateGraph(State)
    graph.add_node("every", EveryQuery(name="every", search=search))
    graph.add_edge(START, "every")
    graph.add_edge("every", END)
    return graph
"""


def test_a_task_node_runs_a_node_class_itself() -> None:
    wf = Workflow.from_script(VARIANTS, "variants")
    chunks = [{"id": "a", "content": "green tea"}, {"id": "b", "content": "black coffee"}]
    result = wf.run({"queries": ["coffee", "tea"], "chunks": chunks})
    assert result.status == "succeeded", result.error
    assert result.state["results"]["every"] == {"ids": [["b"], ["a"]]}
