"""A table declared once (columns, types, keys, indexes) and rendered as each database's DDL.

The stores' migrations (``sqlite_schema.py``, ``postgres_schema.py``, the vault's
and the trigger store's) create their tables from these declarations, and the
queries take their column lists from them, so a column is named in one place.
What differs between the databases is in ``Type`` (how each stores a value) and
in ``Table.create``: SQLite's ``IF NOT EXISTS`` (its migrations are plain scripts
re-checked under a lock) and ``WITHOUT ROWID``; Postgres' byte-order collation.

A migration renders a table as it was when that migration was written: a column
added later is ``leave_out`` there and ``add_column`` in its own migration, and a
table renamed later is created under its old ``name``. Migrations already
applied to a database never run again, so what they render must stay the same.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

DialectName = Literal["sqlite", "postgres"]


@dataclass(frozen=True)
class Type:
    """A column type as each database spells it."""

    sqlite: str
    postgres: str
    #: Values are JSON documents (encoded by the store's ``Dialect``).
    json: bool = False
    #: The database numbers the rows itself (an insert leaves the column out).
    generated: bool = False

    def spelled(self, dialect: DialectName) -> str:
        return self.sqlite if dialect == "sqlite" else self.postgres


TEXT = Type("TEXT", "TEXT")
#: Text that is compared or sorted: byte order in both (Postgres' "C" collation is
#: what SQLite does by default), so both backends list in the same order.
ORDERED = Type("TEXT", 'TEXT COLLATE "C"')
INTEGER = Type("INTEGER", "INTEGER")
BIGINT = Type("INTEGER", "BIGINT")
BYTES = Type("BLOB", "BYTEA")
JSON = Type("TEXT", "JSON", json=True)
#: JSON that Postgres indexes and compares (array membership of tags).
JSONB = Type("TEXT", "JSONB", json=True)
#: The row's number, given by the database in insertion order: the primary key.
ROW_NUMBER = Type("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY", generated=True)


@dataclass(frozen=True)
class Column:
    name: str
    type: Type
    null: bool = False
    key: bool = False
    unique: bool = False
    default: str | None = None
    #: ``table(column)`` plus any action, e.g. ``workflows(id) ON DELETE CASCADE``.
    references: str | None = None

    def ddl(self, dialect: DialectName) -> str:
        parts = [self.name, self.type.spelled(dialect)]
        if self.key:
            parts.append("PRIMARY KEY")  # SQLite's TEXT PRIMARY KEY stays nullable, as ever
        elif not self.null and not self.type.generated:
            parts.append("NOT NULL")
        if self.unique:
            parts.append("UNIQUE")
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        if self.references is not None:
            parts.append(f"REFERENCES {self.references}")
        return " ".join(parts)


@dataclass(frozen=True)
class Index:
    """``<table>_<suffix>`` on ``columns``; ``only`` one database when the other lacks it."""

    suffix: str
    columns: tuple[str, ...]
    only: DialectName | None = None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    #: A primary key of several columns (one column says ``key=True`` itself).
    key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    indexes: tuple[Index, ...] = ()
    #: SQLite stores the rows in the primary key's b-tree (no separate rowid).
    without_rowid: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """Every column's name, in order."""
        return tuple(c.name for c in self.columns)

    @property
    def written(self) -> tuple[str, ...]:
        """The columns an insert gives (the database numbers the generated ones)."""
        return tuple(c.name for c in self.columns if not c.type.generated)

    @property
    def json_names(self) -> frozenset[str]:
        """The columns that hold JSON."""
        return frozenset(c.name for c in self.columns if c.type.json)

    def column(self, name: str) -> Column:
        [found] = [c for c in self.columns if c.name == name]
        return found

    def create(
        self, dialect: DialectName, *, name: str | None = None, leave_out: Collection[str] = ()
    ) -> str:
        """``CREATE TABLE`` and its indexes, as a script of statements.

        ``name``: the table's name when the migration ran (indexes follow it);
        ``leave_out``: columns a later migration adds.
        """
        table = name or self.name
        lines = [c.ddl(dialect) for c in self.columns if c.name not in leave_out]
        if self.key:
            lines.append(f"PRIMARY KEY ({', '.join(self.key)})")
        lines.extend(f"UNIQUE ({', '.join(u)})" for u in self.unique)
        guard = " IF NOT EXISTS" if dialect == "sqlite" else ""
        body = ",\n    ".join(lines)
        rowid = " WITHOUT ROWID" if self.without_rowid and dialect == "sqlite" else ""
        script = [f"CREATE TABLE{guard} {table} (\n    {body}\n){rowid};"]
        script.extend(
            f"CREATE INDEX{guard} {table}_{i.suffix} ON {table}({', '.join(i.columns)});"
            for i in self.indexes
            if i.only in (None, dialect)
        )
        return "\n".join(script) + "\n"

    def add_column(self, dialect: DialectName, name: str) -> str:
        """``ALTER TABLE ... ADD COLUMN`` for a column added after the table was created."""
        return f"ALTER TABLE {self.name} ADD COLUMN {self.column(name).ddl(dialect)};\n"


def create_all(dialect: DialectName, *tables: Table) -> str:
    """Several tables' ``create`` in one script."""
    return "".join(t.create(dialect) for t in tables)
