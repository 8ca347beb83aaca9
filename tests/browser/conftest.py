"""Browser fixtures: one real JupyterLab and one Debian Chromium for these tests.

On a failing test the page is saved as a screenshot under the test's temp dir and
its path is printed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .lab import CHROMIUM, CHROMIUM_ARGS, Lab, running_lab

VIEWPORT = {"width": 1500, "height": 950}

if not Path(CHROMIUM).exists():  # `make test` installs it; a bare pytest run says how
    pytest.skip(
        "browser tests need Debian's Chromium: run `make chromium`", allow_module_level=True
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fresh_page: the test's page gets a browser context of its own"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


# Package scope: Playwright's sync API marks an event loop as running in this thread
# while it is open, which would break every asyncio test that runs after this package.
@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with running_lab(tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():  # `make test` installs it; a bare pytest run says how
        pytest.skip("browser tests need Debian's Chromium: run `make chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="package")
def lab_context(browser: Any) -> Iterator[Any]:
    """One browser context for the tests that share a Lab page (``Lab.open`` resets it)."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        yield context
    finally:
        context.close()


class _Shared:
    page: Any = None


@pytest.fixture
def page(
    browser: Any, lab_context: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Any]:
    """A page that already shows this Lab, reused from test to test: ``lab.open(page, …)``
    resets it to what a fresh load shows. After a failure the page is dropped, so the
    next test starts on a new one. A test marked ``fresh_page`` gets a browser context
    of its own instead: one that watches everything a page does from its first load
    (console, requests) or leaves this Lab."""
    if request.node.get_closest_marker("fresh_page"):
        # Alone: the shared page would go on saving its layout to the workspace this
        # page restores from on a reload.
        if _Shared.page is not None and not _Shared.page.is_closed():
            _Shared.page.close()
        context = browser.new_context(viewport=VIEWPORT)
        fresh = context.new_page()
        fresh.set_default_timeout(30_000)
        try:
            with _watched(fresh, request, tmp_path):
                yield fresh
        finally:
            context.close()
        return
    if _Shared.page is None or _Shared.page.is_closed():
        _Shared.page = lab_context.new_page()
        _Shared.page.set_default_timeout(30_000)
    shared = _Shared.page
    with _watched(shared, request, tmp_path) as failed:
        yield shared
    for other in lab_context.pages:  # pages a test opened beside it
        if other is not shared:
            other.close()
    if failed():
        shared.close()


@contextmanager
def _watched(
    page: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], bool]]:
    """Collect the page's errors; on a failing test save a screenshot and print both."""
    errors: list[str] = []

    def on_error(exc: Any) -> None:
        errors.append(str(exc))

    def failed() -> bool:
        return any(
            getattr(request.node, f"rep_{when}", None) is not None
            and getattr(request.node, f"rep_{when}").failed
            for when in ("setup", "call")
        )

    page.on("pageerror", on_error)
    try:
        yield failed
    finally:
        page.remove_listener("pageerror", on_error)
        if failed():
            shot = tmp_path / "failure.png"
            try:
                page.screenshot(path=str(shot), full_page=True)
                print(f"\nscreenshot of the failing page: {shot}")
            except Exception as exc:  # the page may be gone; the report must still print
                print(f"\nno screenshot ({exc})")
            if errors:
                print("page errors:\n" + "\n".join(errors))
