"""Built-in node types; importing this package registers them."""

from . import (  # noqa: F401
    ai,
    data,
    dates,
    debug,
    foreach,
    http,
    human,
    lists,
    logic,
    storage,
    subworkflow,
    text,
    trigger_nodes,
    validation,
)
