"""Safe stand-ins for allow-listed modules whose real form evaluates names from strings.

A script that imports one of these gets a module object with the same public
names, minus (or guarded in place of) the ones that would let a string reach an
attribute, an import or ``eval`` without passing the script's guards:

- ``operator.attrgetter`` / ``methodcaller`` read attributes named by strings:
  guarded versions check every step with the script's ``getattr`` guard;
- ``string.Formatter`` resolves ``{0.__class__}`` fields: left out;
- ``typing`` / ``typing_extensions``: ``get_type_hints`` without caller-chosen
  namespaces, ``ForwardRef`` without ``module=`` and only for text the script's
  guards accept, ``get_annotations`` / ``evaluate_forward_ref`` (plain ``eval``)
  left out;
- ``pydantic``: the modelling API only (``ImportString`` imports any dotted
  path; ``pydantic.v1`` has ``PyObject``), no submodules, and ``create_model`` /
  ``TypeAdapter`` without the arguments that pick a foreign module namespace;
- ``asyncio``: coroutines, tasks and synchronisation only: no event loop, no
  subprocesses, no threads (a task's ``get_loop`` is refused by the getattr guard).

Three stand-ins serve what upstream's example scripts import for the
``if __name__ == "__main__":`` block they run locally (it never runs here):

- ``pprint``: its formatting functions; ``pprint``/``pp`` keep nothing, as a
  script's ``print`` (collected, never written to the process's stdout);
- ``dotenv``: reads nothing: a script from HTTP does not load the server's
  ``.env`` files into its environment (credentials come from the vault);
- ``langgraph.checkpoint.memory``: ``InMemorySaver`` refuses to be built with a
  clear message: orcheo-jupyter checkpoints every run itself (the real saver's
  serializer would also hand scripts ``pickle``).

Facades are sealed: the allow-list never admits their submodules.
"""

from __future__ import annotations

import asyncio
import operator
import string
import typing
from collections.abc import Callable
from functools import lru_cache
from types import ModuleType
from typing import Any

import typing_extensions

from .annotation_guard import check_annotation_text

Getattr = Callable[..., Any]

#: Attributes no script may read through any guard: they hand out an event loop.
DENIED_ATTRIBUTES = frozenset({"get_loop"})


def _copy(real: ModuleType, names: list[str] | None = None) -> dict[str, Any]:
    keys = names if names is not None else [n for n in dir(real) if not n.startswith("_")]
    # Modules a facade's real module imported (typing.sys...) are not part of its API.
    return {
        n: v
        for n in keys
        if not isinstance(v := getattr(real, n, None), ModuleType) and hasattr(real, n)
    }


def _module(name: str, doc: str, members: dict[str, Any]) -> ModuleType:
    module = ModuleType(name, doc)
    module.__dict__.update(members)
    return module


def _operator(getattr_: Getattr) -> ModuleType:
    def attrgetter(*names: str) -> Callable[[Any], Any]:
        for name in names:
            if not isinstance(name, str):
                raise TypeError("attribute name must be a string")
        paths = [name.split(".") for name in names]

        def get(obj: Any) -> Any:
            values = []
            for path in paths:
                value = obj
                for part in path:
                    value = getattr_(value, part)
                values.append(value)
            return values[0] if len(values) == 1 else tuple(values)

        return get

    def methodcaller(name: str, /, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        if not isinstance(name, str):
            raise TypeError("method name must be a string")

        def call(obj: Any) -> Any:
            return getattr_(obj, name)(*args, **kwargs)

        return call

    members = _copy(operator)
    members.update(attrgetter=attrgetter, methodcaller=methodcaller)
    return _module("operator", "operator, with guarded attrgetter/methodcaller", members)


def _string() -> ModuleType:
    members = _copy(string)
    members.pop("Formatter", None)
    return _module("string", "string without Formatter", members)


def _typing(real: ModuleType) -> ModuleType:
    def get_type_hints(obj: Any, include_extras: bool = False) -> dict[str, Any]:
        """Type hints of ``obj``, evaluated in its own module (no caller-chosen namespace)."""
        return typing.get_type_hints(obj, include_extras=include_extras)

    def ForwardRef(arg: str, is_argument: bool = True, *, is_class: bool = False) -> Any:
        if not isinstance(arg, str):
            raise TypeError(f"Forward reference must be a string -- got {arg!r}")
        problem = check_annotation_text(arg)
        if problem:
            raise TypeError(problem)
        return typing.ForwardRef(arg, is_argument, None, is_class=is_class)

    members = _copy(real)
    for name in ("get_annotations", "evaluate_forward_ref", "eval_type"):
        members.pop(name, None)
    members.update(get_type_hints=get_type_hints, ForwardRef=ForwardRef)
    return _module(real.__name__, f"{real.__name__} with guarded annotation evaluation", members)


_PYDANTIC_NAMES = [
    "AfterValidator",
    "AliasChoices",
    "AliasGenerator",
    "AliasPath",
    "AnyHttpUrl",
    "AnyUrl",
    "AwareDatetime",
    "BaseModel",
    "BeforeValidator",
    "ConfigDict",
    "Discriminator",
    "Field",
    "FiniteFloat",
    "FutureDate",
    "HttpUrl",
    "Json",
    "NaiveDatetime",
    "NegativeFloat",
    "NegativeInt",
    "NonNegativeFloat",
    "NonNegativeInt",
    "NonPositiveFloat",
    "NonPositiveInt",
    "PastDate",
    "PlainSerializer",
    "PlainValidator",
    "PositiveFloat",
    "PositiveInt",
    "PrivateAttr",
    "RootModel",
    "SecretStr",
    "SerializeAsAny",
    "StrictBool",
    "StrictBytes",
    "StrictFloat",
    "StrictInt",
    "StrictStr",
    "StringConstraints",
    "Tag",
    "ValidationError",
    "ValidationInfo",
    "WrapValidator",
    "computed_field",
    "conint",
    "confloat",
    "conlist",
    "constr",
    "field_serializer",
    "field_validator",
    "model_serializer",
    "model_validator",
    "validate_call",
]


def _pydantic() -> ModuleType:
    import pydantic

    def create_model(model_name: str, /, **fields: Any) -> Any:
        for key in fields:
            if key.startswith("_"):
                raise TypeError(f"create_model: argument {key!r} is not allowed in scripts")
        return pydantic.create_model(model_name, **fields)

    def TypeAdapter(type: Any, *, config: Any = None) -> Any:
        return pydantic.TypeAdapter(type, config=config, _parent_depth=3)

    members = _copy(pydantic, _PYDANTIC_NAMES)
    members.update(create_model=create_model, TypeAdapter=TypeAdapter)
    return _module("pydantic", "pydantic's modelling API for scripts", members)


_ASYNCIO_NAMES = [
    "Barrier",
    "BoundedSemaphore",
    "CancelledError",
    "Condition",
    "Event",
    "InvalidStateError",
    "LifoQueue",
    "Lock",
    "PriorityQueue",
    "Queue",
    "QueueEmpty",
    "QueueFull",
    "Semaphore",
    "TimeoutError",
    "as_completed",
    "create_task",
    "gather",
    "iscoroutine",
    "iscoroutinefunction",
    "shield",
    "sleep",
    "timeout",
    "wait",
    "wait_for",
    "ALL_COMPLETED",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
]


def _asyncio() -> ModuleType:
    return _module(
        "asyncio",
        "asyncio for node code: no loop, subprocess or thread access",
        _copy(asyncio, _ASYNCIO_NAMES),
    )


_PPRINT_NAMES = ["pformat", "saferepr", "isreadable", "isrecursive"]


def _pprint() -> ModuleType:
    import pprint

    def printed(obj: Any, *args: Any, **kwargs: Any) -> None:
        """Keeps nothing, as a script's ``print``: never the server's or a runner's log."""

    return _module(
        "pprint",
        "pprint's formatting functions; pprint/pp print nothing, as a script's print",
        {**_copy(pprint, _PPRINT_NAMES), "pprint": printed, "pp": printed},
    )


def _dotenv() -> ModuleType:
    def load_dotenv(*args: Any, **kwargs: Any) -> bool:
        """Load nothing: scripts get credentials from the vault ([[name]] references)."""
        return False

    def dotenv_values(*args: Any, **kwargs: Any) -> dict[str, str | None]:
        return {}

    def find_dotenv(*args: Any, **kwargs: Any) -> str:
        return ""

    return _module(
        "dotenv",
        "python-dotenv for imported scripts: reads no .env file (credentials: the vault)",
        {"load_dotenv": load_dotenv, "dotenv_values": dotenv_values, "find_dotenv": find_dotenv},
    )


class _NoInMemorySaver:
    """Upstream's examples build one in their ``__main__`` block, which does not run here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            "InMemorySaver is not available to imported scripts: orcheo-jupyter stores "
            "every run's checkpoints itself; compile the graph without a checkpointer"
        )


def _checkpoint_memory() -> ModuleType:
    return _module(
        "langgraph.checkpoint.memory",
        "names only: imported scripts are checkpointed by orcheo-jupyter",
        {"InMemorySaver": _NoInMemorySaver, "MemorySaver": _NoInMemorySaver},
    )


#: Modules that scripts only ever see as a facade (and never their submodules).
SEALED = (
    "operator",
    "string",
    "typing",
    "typing_extensions",
    "pydantic",
    "asyncio",
    "pprint",
    "dotenv",
    "langgraph.checkpoint.memory",
)


@lru_cache(maxsize=1)
def _shared() -> dict[str, ModuleType]:
    # Scripts cannot modify modules (the write guard), so these are shared.
    return {
        "string": _string(),
        "typing": _typing(typing),
        "typing_extensions": _typing(typing_extensions),
        "pydantic": _pydantic(),
        "asyncio": _asyncio(),
        "pprint": _pprint(),
        "dotenv": _dotenv(),
        "langgraph.checkpoint.memory": _checkpoint_memory(),
    }


def build_facades(getattr_: Getattr) -> dict[str, ModuleType]:
    """One script execution's facades (operator's guards use that script's getattr)."""
    return {"operator": _operator(getattr_), **_shared()}
