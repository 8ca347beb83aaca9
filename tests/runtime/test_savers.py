"""Opening the stores a Settings names: both open, or neither (for the server, runners, workers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orcheo_jupyter.runtime.checkpoints import close_saver
from orcheo_jupyter.runtime.savers import open_stores
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.store.sqlite import SqliteRepository


@pytest.mark.asyncio
async def test_a_misnamed_checkpoint_backend_fails_before_the_repository_opens(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, checkpoint_backend="mysql")
    with pytest.raises(ValueError, match="ORCHEO_CHECKPOINT_BACKEND must be one of"):
        await open_stores(settings)
    assert not settings.repository_file.exists()


@pytest.mark.asyncio
async def test_a_checkpointer_that_cannot_open_closes_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[SqliteRepository] = []
    close = SqliteRepository.close

    async def recording_close(self: SqliteRepository) -> None:
        closed.append(self)
        await close(self)

    monkeypatch.setattr(SqliteRepository, "close", recording_close)
    settings = Settings(data_dir=tmp_path, checkpoint_backend="postgres")  # and no DSN
    with pytest.raises(ValueError, match="needs ORCHEO_POSTGRES_DSN"):
        await open_stores(settings)
    assert settings.repository_file.exists()  # it was opened ...
    assert len(closed) == 1  # ... and closed again


@pytest.mark.asyncio
async def test_both_open_on_the_files_the_settings_name(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    store, saver = await open_stores(settings)
    try:
        assert isinstance(store, SqliteRepository)
        assert settings.repository_file.exists() and settings.checkpoint_file.exists()
    finally:
        await store.close()
        await close_saver(saver)
