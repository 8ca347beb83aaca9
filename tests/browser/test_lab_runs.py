"""Running from the Lab as a person does: inputs, warnings, run ids, names, identity (issue 15)."""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

from orcheo_jupyter import spec

from .lab import Lab

DOC = ".jp-OrcheoDocument [data-orcheo-canvas]"
SIDEBAR_TAB = '.jp-SideBar .lm-TabBar-tab[title="Orcheo workflows and runs"]'
CURRENT_TAB = ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current"


def _save(lab: Lab, name: str, nodes: list[dict[str, Any]], **extra: Any) -> None:
    ids = [n["id"] for n in nodes]
    chain = ["__start__", *ids, "__end__"]
    doc = {
        "name": extra.pop("title", name),
        "canvas": {"positions": {n: {"x": 0, "y": 120 * i} for i, n in enumerate(ids)}},
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "nodes": nodes,
                "edges": [{"source": a, "target": b} for a, b in itertools.pairwise(chain)],
            },
        },
        **extra,
    }
    spec.save(spec.document_from_data(doc), lab.root / f"{name}.orcheo.json")


def _open(page: Any, lab: Lab, name: str, nodes: int = 1) -> None:
    lab.open(page, f"{name}.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="{nodes}"]', timeout=60_000)


def _wait_run(lab: Lab, run_id: str, status: str = "succeeded") -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while (run := lab.api("GET", f"orcheo/api/executions/{run_id}"))["status"] != status:
        assert time.monotonic() < deadline, run
        time.sleep(0.1)
    return run  # type: ignore[no-any-return]


def _set(node_id: str, **variables: Any) -> dict[str, Any]:
    return {
        "kind": "builtin",
        "id": node_id,
        "type": "SetVariableNode",
        "config": {"variables": variables},
    }


def test_run_asks_for_inputs_from_the_inputs_schema_and_remembers_them(page: Any, lab: Lab) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "title": "Your name"},
            "times": {"type": "integer", "default": 2},
            "loud": {"type": "boolean"},
        },
        "required": ["name"],
    }
    _save(
        lab,
        "greet",
        [_set("hi", text="Hello {{ inputs.name }}", times="{{ inputs.times }}")],
        inputs_schema=schema,
    )
    _open(page, lab, "greet")
    page.click(f'{DOC} .oc-button[data-action="run"]')
    dialog = page.locator(".jp-Dialog")
    dialog.locator('[data-input="name"]').wait_for()
    assert "Your name" in dialog.locator('.oc-field[data-field="name"] .oc-label').inner_text()
    assert dialog.locator('[data-input="times"]').input_value() == "2"  # the default
    # Required and typed: the form says what is wrong and stays open.
    dialog.locator('[data-input="times"]').fill("two")
    dialog.locator(".jp-mod-accept").click()
    dialog = page.locator(".jp-Dialog")
    assert dialog.locator('.oc-field[data-field="name"] .oc-field-error').inner_text() == "required"
    assert "expected a number" in dialog.locator('.oc-field[data-field="times"]').inner_text()
    assert lab.api("GET", "orcheo/api/executions?workflow_id=greet")["items"] == []
    dialog.locator('[data-input="name"]').fill("Ada")
    dialog.locator('[data-input="times"]').fill("3")
    dialog.locator('[data-input="loud"]').check()
    dialog.locator(".jp-mod-accept").click()
    page.wait_for_selector(f'{DOC}[data-run-status="succeeded"]', timeout=60_000)
    runs = lab.api("GET", "orcheo/api/executions?workflow_id=greet")["items"]
    run = _wait_run(lab, runs[0]["id"])
    assert run["inputs"] == {"name": "Ada", "times": 3, "loud": True}
    assert run["final_state"]["results"]["hi"] == {"text": "Hello Ada", "times": 3}
    # The next run starts from what was typed last time.
    page.click(f'{DOC} .oc-button[data-action="run"]')
    dialog = page.locator(".jp-Dialog")
    dialog.locator('[data-input="name"]').wait_for()
    assert dialog.locator('[data-input="name"]').input_value() == "Ada"
    assert dialog.locator('[data-input="times"]').input_value() == "3"
    dialog.locator(".jp-mod-reject").click()
    page.wait_for_selector(f"{DOC} .oc-toast:has-text('Run not started')")
    # The sidebar's run button asks too.
    page.click(SIDEBAR_TAB)
    page.click('#orcheo-sidebar li[data-workflow-id="greet"] [data-action="run"]')
    dialog = page.locator(".jp-Dialog")
    dialog.locator('[data-input="name"]').fill("Grace")
    dialog.locator(".jp-mod-accept").click()
    page.wait_for_selector('.jp-OrcheoRunViewer:visible[data-run-status="succeeded"]')
    runs = lab.api("GET", "orcheo/api/executions?workflow_id=greet")["items"]
    assert runs[0]["id"] != run["id"]
    assert lab.api("GET", f"orcheo/api/executions/{runs[0]['id']}")["inputs"]["name"] == "Grace"


def test_an_unresolved_template_shows_as_a_warning_on_the_node_and_the_run(
    page: Any, lab: Lab
) -> None:
    _save(lab, "warned", [_set("a", who="me"), _set("b", seen="{{ results.nobody.x }}")])
    _open(page, lab, "warned", 2)
    page.click(f'{DOC} .oc-button[data-action="run"]')
    page.wait_for_selector(f'{DOC}[data-run-status="succeeded"][data-run-warnings="1"]')
    page.wait_for_selector(
        f'{DOC} .oc-outline li[data-node-id="b"][data-run-warnings="1"]', state="attached"
    )
    assert page.locator(f'{DOC} .oc-outline li[data-node-id="a"][data-run-warnings]').count() == 0
    status = page.locator(f"{DOC} .oc-status").inner_text()
    assert "succeeded with 1 warning" in status, status
    summary = page.locator(f"{DOC} .oc-panel .oc-run-warnings").inner_text()
    assert "b: unresolved template {{ results.nobody.x }}" in summary
    # The run viewer says so in its status line, not only in the event log.
    page.click(f'{DOC} .oc-button[data-action="open-run"]')
    # The viewer shows the run's stored status before its events replay: wait for them.
    viewer = page.locator(
        '.jp-OrcheoRunViewer:visible[data-run-status="succeeded"][data-run-warnings="1"]'
    )
    viewer.wait_for()
    assert viewer.locator(".oc-run-statusline").inner_text() == "Status: succeeded with 1 warning"
    assert (
        "b: unresolved template" in viewer.locator(".oc-run-header .oc-run-warnings").inner_text()
    )
    assert viewer.locator('.oc-gantt-row[data-node="b"][data-warnings="1"]').count() == 1


def _palette_command(page: Any, label: str) -> None:
    """Open Lab's command palette with its shortcut and click the command named ``label``."""
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette:visible .lm-CommandPalette-input").fill(label)
    page.locator(".lm-CommandPalette:visible .lm-CommandPalette-item").filter(
        has=page.locator(".lm-CommandPalette-itemLabel", has_text=label)
    ).first.click()


def test_short_run_ids_open_the_run_and_unknown_ids_say_so(page: Any, lab: Lab) -> None:
    _save(lab, "shortid", [_set("a", who="me")])
    _open(page, lab, "shortid")
    page.click(f'{DOC} .oc-button[data-action="run"]')
    page.wait_for_selector(f'{DOC}[data-run-status="succeeded"]', timeout=60_000)
    run_id = lab.api("GET", "orcheo/api/executions?workflow_id=shortid")["items"][0]["id"]
    shown = page.locator(f"{DOC} .oc-status").inner_text()
    short = re.search(r"Run ([0-9a-f]{8})", shown).group(1)  # type: ignore[union-attr]
    assert run_id.startswith(short)
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    _palette_command(page, "Open Run Viewer…")
    page.locator(".jp-Dialog input").fill(short)
    page.click(".jp-Dialog .jp-mod-accept")
    page.wait_for_selector(
        f'.jp-OrcheoRunViewer[data-run-id="{run_id}"][data-run-status="succeeded"]'
    )
    # The title names the workflow once the run's record says which one it is.
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel).innerText.startsWith(text)",
        arg=[CURRENT_TAB, "shortid · run " + short],
    )
    _palette_command(page, "Open Run Viewer…")
    page.locator(".jp-Dialog input").fill("deadbeef")
    page.click(".jp-Dialog .jp-mod-accept")
    error = page.locator(".jp-Dialog:has-text('Cannot open the run')")
    error.wait_for()
    assert 'No run has an id starting with "deadbeef"' in error.inner_text()


def test_names_not_ids_and_a_renamed_file_keeps_its_workflow(page: Any, lab: Lab) -> None:
    _save(lab, "ident", [_set("a", who="me")], title="Identity check")
    _open(page, lab, "ident")
    # Name and description are edited in the panel (nothing selected).
    name = page.locator(f'{DOC} .oc-panel [data-field="name"]')
    name.fill("Nightly report")
    name.press("Tab")
    desc = page.locator(f'{DOC} .oc-panel [data-field="description"]')
    desc.fill("Sums up the night")
    desc.press("Tab")
    page.click(f'{DOC} .oc-button[data-action="run"]')
    page.wait_for_selector(f'{DOC}[data-run-status="succeeded"]', timeout=60_000)
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    saved = spec.load(lab.root / "ident.orcheo.json")
    assert (saved.id, saved.name, saved.description) == (
        "ident",
        "Nightly report",
        "Sums up the night",
    )
    # Rename the file in Lab: the workflow stays the same stored workflow.
    page.click(".lm-MenuBar-itemLabel:text-is('File')")
    page.click(".lm-Menu-itemLabel:text-is('Rename Orcheo Workflow…')")
    page.locator(".jp-Dialog input").fill("renamed.orcheo.json")
    page.click(".jp-Dialog .jp-mod-accept")
    page.wait_for_selector(f"{CURRENT_TAB}:has-text('renamed.orcheo.json')")
    page.click(f'{DOC} .oc-button[data-action="run"]')
    page.wait_for_function(
        "() => document.querySelector('.jp-OrcheoDocument [data-orcheo-canvas]')"
        ".getAttribute('data-run-status') === 'succeeded'"
    )
    deadline = time.monotonic() + 30
    while len(runs := lab.api("GET", "orcheo/api/executions?workflow_id=ident")["items"]) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    stored = lab.api("GET", "orcheo/api/workflows?limit=500")["items"]
    mine = [(w["id"], w["name"]) for w in stored if w["name"] == "Nightly report"]
    assert mine == [("ident", "Nightly report")]  # no second workflow forked off
    assert "renamed" not in {w["id"] for w in stored}
    # The sidebar names workflows and runs by name; "open" opens the renamed file.
    page.click(f"{CURRENT_TAB} .lm-TabBar-tabCloseIcon")
    page.click(SIDEBAR_TAB)
    row = page.locator('#orcheo-sidebar li[data-workflow-id="ident"]')
    assert row.locator("span").first.inner_text() == "Nightly report"
    row.click()
    page.wait_for_selector("#orcheo-sidebar h3:has-text('Runs of Nightly report')")
    run_row = page.locator(f'#orcheo-sidebar li[data-run-id="{runs[0]["id"]}"]')
    assert "Nightly report" in run_row.inner_text()
    assert "ident" not in run_row.locator(".oc-run-name").inner_text()
    page.click('#orcheo-sidebar li[data-workflow-id="ident"] [data-action="open"]')
    page.wait_for_selector(f"{CURRENT_TAB}:has-text('renamed.orcheo.json')")
    assert sorted(p.name for p in lab.root.glob("*.orcheo.json") if "ident" in p.read_text()) == [
        "renamed.orcheo.json"
    ]
    # A run viewer comes back after a page reload.
    run_row = page.locator(f'#orcheo-sidebar li[data-run-id="{runs[0]["id"]}"]')
    run_row.click()
    page.wait_for_selector(f'.jp-OrcheoRunViewer[data-run-id="{runs[0]["id"]}"]')
    page.wait_for_timeout(1500)  # Lab saves its layout shortly after a change
    page.goto(f"{lab.url}lab?token={lab.token}")
    page.wait_for_selector(
        f'.jp-OrcheoRunViewer[data-run-id="{runs[0]["id"]}"][data-run-status="succeeded"]',
        timeout=60_000,
    )


def test_the_run_viewer_answers_an_interrupt_with_a_form_from_its_schema(
    page: Any, lab: Lab
) -> None:
    ask = {
        "kind": "builtin",
        "id": "approve",
        "type": "HumanInputNode",
        "config": {
            "prompt": "Ship it?",
            "answer_schema": {
                "type": "object",
                "properties": {
                    "approved": {"type": "boolean", "title": "Approved"},
                    "copies": {"type": "integer", "title": "Copies"},
                },
                "required": ["approved", "copies"],
            },
        },
    }
    _save(lab, "approval", [ask, _set("after", said="{{ results.approve.answer.copies }}")])
    lab.api(
        "POST",
        "orcheo/api/workflows",
        spec.to_data(spec.load(lab.root / "approval.orcheo.json")) | {"id": "approval"},
    )
    run_id = lab.api("POST", "orcheo/api/workflows/approval/execute", {"inputs": {}})[
        "execution_id"
    ]
    _wait_run(lab, run_id, "interrupted")
    lab.open(page)
    page.click(SIDEBAR_TAB, timeout=60_000)
    row = page.locator(f'#orcheo-sidebar li[data-run-id="{run_id}"]')
    assert "waiting" in row.inner_text()
    row.click()
    viewer = page.locator(f'.jp-OrcheoRunViewer[data-run-id="{run_id}"]')
    form = viewer.locator('.oc-interrupt[data-node="approve"]')
    form.wait_for()
    assert "Ship it?" in form.inner_text()
    assert viewer.locator(".oc-run-statusline").inner_text() == "Status: waiting for input"
    bar = viewer.locator('.oc-gantt-row[data-node="approve"]')
    assert bar.get_attribute("data-status") == "interrupted"
    assert "waiting for input" in bar.inner_text()
    # The form checks types before anything is sent.
    form.locator('[data-input="copies"]').fill("many")
    form.locator('[data-action="answer"]').click()
    assert "expected a number" in form.locator('.oc-field[data-field="copies"]').inner_text()
    assert lab.api("GET", f"orcheo/api/executions/{run_id}")["status"] == "interrupted"
    form.locator('[data-input="approved"]').check()
    form.locator('[data-input="copies"]').fill("3")
    form.locator('[data-action="answer"]').click()
    viewer.and_(page.locator('[data-run-status="succeeded"]')).wait_for(timeout=60_000)
    run = _wait_run(lab, run_id)
    assert run["final_state"]["results"]["approve"]["answer"] == {"approved": True, "copies": 3}
    assert run["final_state"]["results"]["after"] == {"said": 3}
