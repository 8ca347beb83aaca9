"""Keyword options declared once as a ``TypedDict`` and taken as ``**options``.

An operation offered by several layers or wrappers (``Executor.admit``/``submit``/
``execute``, the client's ``execute``/``submit``/``run``) names its options in one
``TypedDict`` and takes them with ``**options: Unpack[...]``: adding an option is one
edit, and mypy checks every call. Python itself does not check ``**options`` against
the ``TypedDict``, so ``check_options`` refuses a misspelt option as a named keyword
parameter would, instead of ignoring it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def option_names(declared: Any) -> frozenset[str]:
    """The option names a ``TypedDict`` declares."""
    return frozenset(declared.__required_keys__ | declared.__optional_keys__)


def check_options(options: Mapping[str, Any], declared: Any) -> None:
    """TypeError naming the first option ``declared`` (a ``TypedDict``) does not know, or
    the first of its required options missing."""
    known = option_names(declared)
    unknown = sorted(options.keys() - known)
    if unknown:
        names = ", ".join(sorted(known))
        raise TypeError(f"unexpected keyword argument {unknown[0]!r} (the options are: {names})")
    missing = sorted(declared.__required_keys__ - options.keys())
    if missing:
        raise TypeError(f"missing required keyword argument {missing[0]!r}")
