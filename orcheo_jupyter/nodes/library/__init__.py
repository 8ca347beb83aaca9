"""Built-in node types; importing this package registers them."""

from . import (  # noqa: F401
    ai,
    data,
    dates,
    debug,
    feeds,
    foreach,
    http,
    human,
    lists,
    logic,
    mail,
    storage,
    subworkflow,
    text,
    trigger_nodes,
    validation,
    web,
)
