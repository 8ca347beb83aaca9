"""Built-in node types; importing this package registers them."""

from . import data  # noqa: F401
