"""Small helpers below every layer: no import of any other orcheo_jupyter package.

``retry`` (backoff delays and ``Retry-After``), ``lru`` (a bounded cache),
``dotted`` (walking a dotted path through data), ``records`` (the stores'
records as JSON), ``timestamps`` (the one UTC ISO form of every stored time) and
``indentation`` (Python bodies under a new ``def``) and ``span_rows`` (how a run's spans
are laid out as stored rows: tracing makes them, the stores keep them) and ``problem_list``
(an error listing every problem found, for the export and the magics) and ``jsonschema_import``
(jsonschema without its import-time IRI grammar build) and ``sqlite_files`` (shared SQLite files
in WAL mode) and ``options`` (keyword options declared once as a TypedDict) and
``api_errors`` (an API error's wire format, written by the server, read by the SDK) each
exist once here, so spec, store, runtime, nodes, triggers and the surfaces share one rule. The one
batching class is ``store.group_commit.GroupCommit``.
"""
