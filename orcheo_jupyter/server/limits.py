"""Numbers the API's paths and bodies share, importable without pydantic."""

#: Largest integer accepted where a number reaches the database (SQLite: 64-bit).
MAX_INT = 2**31 - 1
