"""jsonschema, imported without the second its optional IRI check costs at import.

With ``rfc3987_syntax`` installed (Jupyter's ``jupyter-events`` pulls it in through
``jsonschema[format-nongpl]``), importing jsonschema builds that package's grammar: about
1.3 s of CPU in every process that checks a schema (each CLI command, kernel and runner),
for the ``iri`` and ``iri-reference`` formats only. When jsonschema is not imported yet,
it is imported with that package hidden, and those two formats are registered again with
checks that import it on their first use, so what is checked does not change. A process
that imported jsonschema before keeps jsonschema's own checks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.util import find_spec

_IRI_PACKAGE = "rfc3987_syntax"
_DRAFTS = ("Draft7Validator", "Draft201909Validator", "Draft202012Validator")


def _deferred_iri_check(rule: str) -> Callable[[object], bool]:
    def check(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        from rfc3987_syntax import is_valid_syntax

        return bool(is_valid_syntax(rule, instance))

    return check


def _import_without_iri_grammar() -> None:
    sys.modules[_IRI_PACKAGE] = None  # type: ignore[assignment]  # seen as not installed
    try:
        import jsonschema
    finally:
        del sys.modules[_IRI_PACKAGE]
    for draft in _DRAFTS:
        checker = getattr(jsonschema, draft).FORMAT_CHECKER
        for fmt, rule in (("iri", "iri"), ("iri-reference", "iri_reference")):
            checker.checks(fmt, raises=ValueError)(_deferred_iri_check(rule))


if (
    "jsonschema" not in sys.modules
    and _IRI_PACKAGE not in sys.modules
    and find_spec(_IRI_PACKAGE) is not None
):
    _import_without_iri_grammar()

import jsonschema  # noqa: E402  (after the import above decided how it is loaded)
from jsonschema.validators import validator_for  # noqa: E402

__all__ = ["jsonschema", "validator_for"]
