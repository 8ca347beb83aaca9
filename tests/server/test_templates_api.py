"""GET /orcheo/api/templates[/{name}]: the gallery the Launcher offers."""

from __future__ import annotations

from typing import Any

from orcheo_jupyter import templates


async def test_templates_list_and_documents(api: Any, create_workflow: Any) -> None:
    listed = await api("GET", "templates")
    assert listed.code == 200
    assert [t["name"] for t in listed.body["items"]] == templates.names()
    assert all(t["title"] and t["description"] for t in listed.body["items"])
    one = await api("GET", "templates", "approval")
    assert one.code == 200
    assert one.body["name"] == "approval" and "id" not in one.body
    assert one.body["graph"]["format"] == "frozen-ir"
    created = await create_workflow({**one.body, "name": "my approval"})  # it is a valid document
    assert created["name"] == "my approval"
    # Every template is stored as it comes (the polling one's trigger URL was a template
    # the server refused, while validation said "no problems").
    for name in templates.names():
        doc = (await api("GET", "templates", name)).body
        stored = await api("POST", "workflows", json_body={**doc, "name": f"my {name}"})
        assert stored.code == 201, (name, stored.body)
    missing = await api("GET", "templates", "nope")
    assert missing.code == 404
    assert missing.body["error"]["code"] == "not_found"
    assert "unknown template 'nope'" in missing.body["error"]["message"]
