"""The Orcheo sidebar's credentials: a new user adds, rotates and deletes a secret in
JupyterLab, never seeing a value again, and a refused name says why in the dialog."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .lab import Lab

SIDEBAR = "#orcheo-sidebar"


def _dialog_fill(page: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.fill(f'.jp-Dialog [data-input="{name}"]', value)
    page.click(".jp-Dialog .jp-mod-accept")


def test_add_rotate_and_delete_a_credential_from_the_sidebar(page: Any, lab: Lab) -> None:
    lab.open(page)
    page.click('.jp-SideBar .lm-TabBar-tab[title="Orcheo workflows and runs"]', timeout=60_000)
    # The first listing may open the server's runtime (seconds on a busy machine).
    expect(page.locator(f"{SIDEBAR} .oc-credentials-section")).to_contain_text(
        "None yet", timeout=60_000
    )

    # A name the vault refuses: the dialog comes back with the reason, the name kept.
    page.click(f'{SIDEBAR} [data-action="add-credential"]')
    _dialog_fill(page, {"name": "has space", "value": "s3cret-one", "description": "CI token"})
    error = page.locator(".jp-Dialog [data-credential-error]")
    expect(error).to_contain_text("name")
    assert page.input_value('.jp-Dialog [data-input="name"]') == "has space"
    assert page.input_value('.jp-Dialog [data-input="value"]') == ""  # never kept in the page
    assert page.get_attribute('.jp-Dialog [data-input="value"]', "type") == "password"
    _dialog_fill(page, {"name": "ci_token", "value": "s3cret-one"})
    item = page.locator(f'{SIDEBAR} li[data-credential="ci_token"]')
    expect(item.locator("[data-health]")).to_have_text("healthy")
    listed = lab.api("GET", "orcheo/api/credentials")["items"]
    assert [(c["name"], c["description"], c["version"]) for c in listed] == [
        ("ci_token", "CI token", 1)
    ]
    assert "s3cret-one" not in page.content()

    item.locator('[data-action="rotate-credential"]').click()
    _dialog_fill(page, {"value": "s3cret-two"})
    expect(page.locator(".jp-Dialog")).to_have_count(0)
    assert lab.api("GET", "orcheo/api/credentials")["items"][0]["version"] == 2

    item.locator('[data-action="delete-credential"]').click()
    page.click(".jp-Dialog .jp-mod-accept")
    expect(item).to_have_count(0)
    assert lab.api("GET", "orcheo/api/credentials")["items"] == []


@pytest.mark.fresh_page  # the sidebar's first listing
def test_the_sidebar_says_it_is_loading_until_the_server_answers(page: Any, lab: Lab) -> None:
    """The first listing opens the server's runtime when nothing is stored yet: until
    it answers, the sidebar says so instead of showing empty sections."""
    held: list[Any] = []
    page.route("**/orcheo/api/workflows*", lambda route: held.append(route))
    lab.open(page)
    page.click('.jp-SideBar .lm-TabBar-tab[title="Orcheo workflows and runs"]')
    expect(page.locator(SIDEBAR)).to_have_attribute("aria-busy", "true")
    expect(page.locator(f"{SIDEBAR} > .oc-muted")).to_have_text("Loading…")
    expect(page.locator(f"{SIDEBAR} .oc-credentials-section")).to_contain_text("Loading…")
    for route in held:
        route.continue_()
    page.unroute("**/orcheo/api/workflows*")
    expect(page.locator(f"{SIDEBAR} .oc-credentials-section")).to_contain_text("None yet")
    expect(page.locator(SIDEBAR)).not_to_have_attribute("aria-busy", "true")
    expect(page.locator(f"{SIDEBAR} > .oc-muted")).not_to_have_text("Loading…")
