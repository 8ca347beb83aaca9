"""Size check and restricted compilation of scripts, cached by content hash.

The size is checked on the UTF-8 bytes before anything parses the text, so a
huge script costs one ``encode``. Compiled code is cached by the sha256 of those
bytes together with the allow-list: importing the same script again (or running
a stored script workflow) skips RestrictedPython's AST rewrite, which is the
expensive part.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from types import CodeType

from RestrictedPython import compile_restricted_exec

from ..common.lru import LRU
from ..spec.problems import DocumentError, Problem
from .limits import MAX_SCRIPT_BYTES, ScriptTooLarge
from .policy import AllowList, ScriptPolicy, disallowed_imports, refused_string_annotations

FILENAME = "<orcheo script>"


def script_problem(code: str, message: str, line: int | None = None) -> Problem:
    where = f"line {line}: " if line else ""
    return Problem("error", code, where + message, field="graph.source")


def check_size(source: str, limit: int = MAX_SCRIPT_BYTES) -> bytes:
    """The script's UTF-8 bytes, or ScriptTooLarge; never parses the text."""
    try:
        data = source.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DocumentError(
            [script_problem("encoding", f"script is not valid Unicode text: {exc.reason}")]
        ) from None
    if len(data) > limit:
        raise ScriptTooLarge(len(data), limit)
    return data


@dataclass(frozen=True)
class CompiledScript:
    """Restricted code and the content hash it is cached (and its module named) under."""

    code: CodeType
    key: str


class CompileCache:
    """sha256(script) -> restricted code object, least recently used evicted first."""

    def __init__(self, size: int = 256) -> None:
        self._items: LRU[str, CodeType] = LRU(size)
        self.compiles = 0  # how many times RestrictedPython actually ran
        self.hits = 0

    def get(self, key: str) -> CodeType | None:
        code = self._items.get(key)
        if code is not None:
            self.hits += 1
        return code

    def put(self, key: str, code: CodeType) -> None:
        self._items.put(key, code)

    def clear(self) -> None:
        self._items.clear()


cache = CompileCache()


def cache_key(data: bytes, allow: AllowList) -> str:
    digest = hashlib.sha256(data)
    digest.update(b"\0" + "\n".join(allow.modules).encode("utf-8"))
    return digest.hexdigest()


def compile_script(
    source: str,
    *,
    allow: AllowList | None = None,
    max_bytes: int = MAX_SCRIPT_BYTES,
    compile_cache: CompileCache | None = None,
) -> CompiledScript:
    """Restricted code for ``source``; DocumentError lists every problem found."""
    allow = allow or AllowList()
    store = compile_cache if compile_cache is not None else cache
    data = check_size(source, max_bytes)
    key = cache_key(data, allow)
    code = store.get(key)
    if code is not None:
        return CompiledScript(code, key)
    try:
        tree = ast.parse(source, FILENAME)
    except SyntaxError as exc:
        raise DocumentError(
            [script_problem("syntax", f"syntax error: {exc.msg}", exc.lineno)]
        ) from None
    except (MemoryError, RecursionError, ValueError) as exc:
        raise DocumentError([script_problem("syntax", f"cannot parse script: {exc}")]) from None
    problems = [
        script_problem(
            "import_not_allowed",
            f"import of {name!r} is not allowed (allowed: {allow.describe()})",
            line,
        )
        for line, name in disallowed_imports(tree, allow)
    ]
    problems.extend(
        script_problem("restricted", why, line) for line, why in refused_string_annotations(tree)
    )
    try:
        # dont_inherit: this module's ``from __future__ import annotations`` must not
        # turn the script's annotations into strings (LangGraph reads them as types).
        result = compile_restricted_exec(tree, FILENAME, dont_inherit=True, policy=ScriptPolicy)
    except (MemoryError, RecursionError, ValueError, SyntaxError) as exc:
        raise DocumentError(
            [script_problem("restricted", f"cannot compile script: {exc}")]
        ) from None
    store.compiles += 1
    problems.extend(script_problem("restricted", message) for message in result.errors)
    if problems or result.code is None:
        raise DocumentError(problems or [script_problem("restricted", "script did not compile")])
    store.put(key, result.code)
    return CompiledScript(result.code, key)
