"""JSON Schema checks shared by validation, human input and structured AI output."""

from __future__ import annotations

from typing import Any

# jsonschema is imported inside the functions (through common.jsonschema_import, which
# keeps its optional IRI grammar out of the import): nodes that are never run pay nothing.


def check_schema(schema: Any) -> dict[str, Any]:
    """The schema itself, if it is a valid JSON Schema; ValueError otherwise."""
    if not isinstance(schema, dict):
        raise ValueError(f"expected a JSON Schema object, got {type(schema).__name__}")
    from ...common.jsonschema_import import jsonschema, validator_for

    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "".join(f"[{p!r}]" for p in exc.path)
        raise ValueError(f"not a valid JSON Schema{where}: {exc.message}") from None
    return schema


def schema_errors(schema: dict[str, Any], value: Any, root: str) -> list[dict[str, str]]:
    """Every way ``value`` breaks ``schema``, as ``{path, message}`` with paths from ``root``.

    ``path`` reads like ``answer.items[2].age``, so a message names the field.
    """
    from ...common.jsonschema_import import jsonschema, validator_for

    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    found = []
    for err in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path))):
        path = root
        for part in err.path:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        found.append({"path": path, "message": err.message})
    return found


def describe(errors: list[dict[str, str]], limit: int = 5) -> str:
    text = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:limit])
    more = len(errors) - limit
    return text + (f" (and {more} more)" if more > 0 else "")
