"""Settings from ORCHEO_* variables: each field declares its variable once, beside its default."""

from __future__ import annotations

from pathlib import Path

import pytest

from orcheo_jupyter.settings import ENVIRONMENT, Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ENVIRONMENT.values():
        for name in variable.names:
            monkeypatch.delenv(name, raising=False)


def test_every_variable_sets_its_field(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    values = {
        "ORCHEO_DATA_DIR": str(tmp_path / "data"),
        "ORCHEO_REPOSITORY_BACKEND": "postgres",
        "ORCHEO_REPOSITORY_SQLITE_PATH": "~/runs.sqlite",
        "ORCHEO_CHECKPOINT_BACKEND": "postgres",
        "ORCHEO_SQLITE_PATH": str(tmp_path / "cp.sqlite"),
        "ORCHEO_POSTGRES_DSN": "postgresql://db/orcheo",
        "ORCHEO_DURABILITY": "sync",
        "ORCHEO_POSTGRES_POOL_SIZE": "3",
        "ORCHEO_EXECUTOR": "celery",
        "ORCHEO_BROKER_URL": "redis://broker/0",
        "ORCHEO_CHECKPOINT_INTERVAL_MS": "5",
        "ORCHEO_MAX_VALUE_BYTES": "1048576",
        "ORCHEO_SQLITE_WAL_LIMIT_BYTES": "2097152",
        "ORCHEO_MAX_INPUT_DEPTH": "12",
        "ORCHEO_TRACE_STORE": "yes",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    assert Settings.from_env() == Settings(
        data_dir=tmp_path / "data",
        repository_backend="postgres",
        repository_path=Path("~/runs.sqlite").expanduser(),
        checkpoint_backend="postgres",
        checkpoint_path=tmp_path / "cp.sqlite",
        postgres_dsn="postgresql://db/orcheo",
        durability="sync",
        postgres_pool_size=3,
        executor="celery",
        broker_url="redis://broker/0",
        checkpoint_interval=0.005,
        max_value_bytes=1048576,
        wal_limit_bytes=2097152,
        max_input_depth=12,
        trace_store=True,
    )
    # Every field but the table's own derived ones is set by a variable.
    assert sorted(ENVIRONMENT) == sorted(Settings.__dataclass_fields__)


def test_unset_variables_leave_the_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env(data_dir=tmp_path)
    assert settings == Settings(data_dir=tmp_path)
    assert (settings.durability, settings.executor, settings.postgres_pool_size) == (
        "async",
        "local",
        10,
    )
    assert settings.checkpoint_interval == 0.02 and settings.repository_path is None


def test_a_blank_variable_is_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """As the server already treats it: ``ORCHEO_DURABILITY= jupyter lab`` means the default."""
    for name in ("ORCHEO_DURABILITY", "ORCHEO_EXECUTOR", "ORCHEO_POSTGRES_POOL_SIZE"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("ORCHEO_CHECKPOINT_BACKEND", "  ")
    settings = Settings.from_env(data_dir=tmp_path)
    assert (settings.durability, settings.executor, settings.postgres_pool_size) == (
        "async",
        "local",
        10,
    )
    assert settings.checkpoint_backend == "sqlite"


def test_the_older_broker_variable_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHEO_REDIS_URL", "redis://old/1")
    assert Settings.from_env().broker_url == "redis://old/1"
    monkeypatch.setenv("ORCHEO_BROKER_URL", "redis://new/2")
    assert Settings.from_env().broker_url == "redis://new/2"


def test_overrides_win_over_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ORCHEO_DURABILITY", "sync")
    assert Settings.from_env(durability="exit", data_dir=tmp_path).durability == "exit"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ORCHEO_DURABILITY", "sometimes", "ORCHEO_DURABILITY must be sync, async or exit"),
        ("ORCHEO_POSTGRES_POOL_SIZE", "many", "ORCHEO_POSTGRES_POOL_SIZE must be a whole number"),
        ("ORCHEO_CHECKPOINT_INTERVAL_MS", "soon", "ORCHEO_CHECKPOINT_INTERVAL_MS must be a number"),
        ("ORCHEO_MAX_VALUE_BYTES", "0", "ORCHEO_MAX_VALUE_BYTES must be a positive whole number"),
        ("ORCHEO_SQLITE_WAL_LIMIT_BYTES", "x", "ORCHEO_SQLITE_WAL_LIMIT_BYTES must be a positive"),
        ("ORCHEO_MAX_INPUT_DEPTH", "deep", "ORCHEO_MAX_INPUT_DEPTH must be an integer"),
        ("ORCHEO_MAX_INPUT_DEPTH", "500", "max_input_depth must be between 1 and 200"),
        ("ORCHEO_TRACE_STORE", "maybe", "ORCHEO_TRACE_STORE must be true or false"),
    ],
)
def test_a_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        Settings.from_env()
