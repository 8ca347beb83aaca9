"""The one rule of every backend's event stream: each event once, in order, none after the end."""

from __future__ import annotations

from orcheo_jupyter.runtime.events import RunStatus
from orcheo_jupyter.runtime.streams import Cursor
from orcheo_jupyter.store.records import EventRecord, RunRecord


def _event(seq: int, type_: str = "node_finished") -> EventRecord:
    return EventRecord(run_id="r", seq=seq, type=type_, at="2026-01-01T00:00:00+00:00")


def _run(status: RunStatus, last_seq: int) -> RunRecord:
    return RunRecord(
        id="r",
        checksum="c",
        status=status,
        inputs={},
        created_at="2026-01-01T00:00:00+00:00",
        updated_at="2026-01-01T00:00:00+00:00",
        last_seq=last_seq,
    )


def test_fresh_skips_what_was_yielded_and_stops_at_the_terminal_event() -> None:
    cursor = Cursor(after=2)
    batch = [_event(1), _event(2), _event(3), _event(4, "run_finished"), _event(5)]
    assert [e.seq for e in cursor.fresh(batch)] == [3, 4]
    assert (cursor.last, cursor.ended) == (4, True)
    # Over: a late copy or anything after the end is never yielded.
    assert list(cursor.fresh([_event(5), _event(6)])) == []
    assert not cursor.take(_event(7))


def test_take_accepts_only_what_comes_next_in_order() -> None:
    cursor = Cursor(after=0)
    assert cursor.take(_event(1))
    assert not cursor.take(_event(1))  # a live copy of a stored event
    assert [e.seq for e in cursor.fresh([_event(1), _event(2)])] == [2]
    assert (cursor.last, cursor.ended) == (2, False)


def test_caught_up_only_when_the_run_is_over_and_every_stored_event_was_yielded() -> None:
    cursor = Cursor(after=3)
    assert not cursor.caught_up(_run(RunStatus.RUNNING, 3))
    assert not cursor.caught_up(_run(RunStatus.INTERRUPTED, 3))
    assert not cursor.caught_up(_run(RunStatus.SUCCEEDED, 5))
    assert cursor.caught_up(_run(RunStatus.SUCCEEDED, 3))
    assert cursor.caught_up(_run(RunStatus.CANCELLED, 2))
