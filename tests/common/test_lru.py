"""The one bounded cache: eviction order, None as a value, thread safety."""

from __future__ import annotations

import threading

import pytest

from orcheo_jupyter.common.lru import LRU


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: LRU[str, int] = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert ("a" in cache, "b" in cache, "c" in cache) == (True, False, True)
    assert len(cache) == 2


def test_put_of_a_known_key_refreshes_it() -> None:
    cache: LRU[str, int] = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    cache.put("c", 3)
    assert cache.get("a") == 10 and cache.get("b") is None


def test_get_or_make_makes_once_and_caches_none() -> None:
    cache: LRU[str, int | None] = LRU(4)
    made: list[str] = []

    def make(key: str, value: int | None) -> int | None:
        made.append(key)
        return value

    assert cache.get_or_make("x", lambda: make("x", None)) is None
    assert cache.get_or_make("x", lambda: make("x", 5)) is None  # None was stored
    assert cache.get_or_make("y", lambda: make("y", 7)) == 7
    assert cache.get_or_make("y", lambda: make("y", 8)) == 7
    assert made == ["x", "y"]


def test_a_failing_make_stores_nothing() -> None:
    cache: LRU[str, int] = LRU(4)

    def boom() -> int:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        cache.get_or_make("k", boom)
    assert "k" not in cache and cache.get_or_make("k", lambda: 1) == 1


def test_get_default_and_clear() -> None:
    cache: LRU[str, int] = LRU(1)
    assert cache.get("nope", 9) == 9
    cache.put("a", 1)
    cache.clear()
    assert len(cache) == 0 and cache.get("a") is None


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="size must be 1 or more, not 0"):
        LRU(0)


def test_threads_never_push_it_past_its_size() -> None:
    cache: LRU[int, int] = LRU(50)
    errors: list[BaseException] = []

    def hammer(offset: int) -> None:
        try:
            for i in range(5000):
                key = (i * 7 + offset) % 400
                cache.get_or_make(key, lambda k=key: k * 2)  # type: ignore[misc]
                value = cache.get(key)
                assert value is None or value == key * 2
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(cache) == 50
