"""Small helpers below every layer: no import of any other orcheo_jupyter package.

``retry`` (backoff delays and ``Retry-After``), ``lru`` (a bounded cache) and
``batching`` (many awaited single calls, one batched call) each exist once here
so that spec, store, runtime, nodes, triggers and the client share one rule.
"""
