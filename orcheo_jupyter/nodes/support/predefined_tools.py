"""Upstream Orcheo's named agent tools (``AgentNode(predefined_tools=[...])``).

``greet_user`` is built in. Upstream's MongoDB tools are known by name so a document
naming them loads, but they need a MongoDB server orcheo-jupyter does not ship: an
agent that has one fails when its run starts, naming the service.
"""

from __future__ import annotations

from typing import Any

from ..base import NodeError

#: name -> (description, JSON Schema of the arguments)
BUILT_IN: dict[str, tuple[str, dict[str, Any]]] = {
    "greet_user": (
        "Print a greeting to the user.",
        {
            "type": "object",
            "properties": {"username": {"type": "string", "title": "Username"}},
            "required": ["username"],
        },
    ),
}
#: Upstream names whose service is not shipped, and the service.
NEEDS_SERVICE = {"mongodb_find": "MongoDB", "mongodb_update_one": "MongoDB"}
KNOWN = frozenset(BUILT_IN) | frozenset(NEEDS_SERVICE)


def check_names(names: list[str]) -> list[str]:
    """``names`` if every one is a known tool, else ValueError listing the known ones."""
    unknown = [n for n in names if n not in KNOWN]
    if unknown:
        raise ValueError(
            f"unknown predefined tool {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(sorted(KNOWN))})"
        )
    return names


async def call(name: str, args: dict[str, Any]) -> Any:
    """Run a built-in tool on its arguments."""
    if name == "greet_user":
        return f"Hello, {args.get('username', '')}!"
    raise NodeError("predefined_tools", f"no built-in tool {name!r}")


def unavailable(names: list[str]) -> NodeError | None:
    """The error for the first tool whose service is not shipped, if any."""
    for name in names:
        if name in NEEDS_SERVICE:
            return NodeError(
                "predefined_tools",
                f"{name!r} needs a {NEEDS_SERVICE[name]} server, which orcheo-jupyter does "
                "not ship; give the agent a node or workflow tool instead",
            )
    return None
