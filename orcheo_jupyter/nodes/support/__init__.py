"""What the node library uses that is not a node: fetching, paths, schemas, embeddings, breakers.

Kept apart from ``nodes/library`` so that package holds node types only (each
module there registers nodes); these helpers know nothing of the registry.
"""
