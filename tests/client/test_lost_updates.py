"""Two SDK sessions editing one workflow: the later save is refused, never silently stored.

Each ``OrcheoClient`` remembers the version it last loaded or stored and sends it as
``base_version``; a workflow someone stored since is ``VersionConflictError`` (the
server's 409), theirs stays the latest, and ``overwrite=True`` stores yours on top.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from orcheo_jupyter.client import (
    Backoff,
    OrcheoAPIError,
    OrcheoClient,
    VersionConflictError,
)
from tests.conftest import linear_doc

from .live_server import Fault, FaultProxy, Server


def _doc(*names: str, name: str) -> dict[str, Any]:
    return linear_doc(*names, name=name)


def _node_ids(answer: dict[str, Any]) -> list[str]:
    return [n["id"] for n in answer["document"]["graph"]["ir"]["nodes"]]


@pytest.fixture
def other(server: Server) -> Iterator[OrcheoClient]:
    """A second person's session on the same server."""
    with OrcheoClient(server.url, server.token) as sdk:
        yield sdk


def test_a_save_from_an_older_version_is_refused_and_theirs_stays(
    client: OrcheoClient, other: OrcheoClient
) -> None:
    name = f"shared-{uuid.uuid4().hex[:8]}"
    wid = client.create_workflow(_doc("a", name=name))["id"]
    assert other.get_workflow(wid)["version"] == 1  # both sessions start from version 1

    assert client.update_workflow(wid, _doc("a", "mine", name=name))["version"] == 2
    with pytest.raises(VersionConflictError) as info:
        other.update_workflow(wid, _doc("a", "theirs", name=name))
    conflict = info.value
    assert isinstance(conflict, OrcheoAPIError)
    assert (conflict.status, conflict.code) == (409, "version_conflict")
    assert (conflict.workflow_id, conflict.base_version, conflict.latest) == (wid, 1, 2)
    assert conflict.message == (
        f"workflow {wid} was stored by someone else since this edit began: this edit was "
        "made from version 1, the server has version 2; nothing was stored. "
        f"get_workflow('{wid}') loads theirs (then apply the edit again), "
        "update_workflow(..., overwrite=True) stores yours on top"
    )
    assert str(conflict).startswith(f"409 version_conflict: workflow {wid} was stored")
    assert conflict.method == "PUT" and f"/workflows/{wid}?base_version=1" in conflict.url

    stored = client.get_workflow(wid)
    assert stored["latest_version"] == 2 and _node_ids(stored) == ["a", "mine"]
    assert [v["version"] for v in client.list_versions(wid)] == [1, 2]
    assert other.known_version(wid) == 1  # the refusal did not move the base

    # Overwrite: theirs stored on top, mine stays in the history.
    forced = other.update_workflow(wid, _doc("a", "theirs", name=name), overwrite=True)
    assert forced["version"] == 3 and _node_ids(forced) == ["a", "theirs"]
    assert _node_ids(client.get_version(wid, 2)) == ["a", "mine"]
    assert other.known_version(wid) == 3

    # Now the first session is behind (it last loaded version 2).
    with pytest.raises(VersionConflictError) as again:
        client.update_workflow(wid, _doc("a", "mine", "more", name=name))
    assert (again.value.base_version, again.value.latest) == (2, 3)
    # Loading theirs moves its base: the next save goes through.
    assert client.get_workflow(wid)["version"] == 3
    assert client.update_workflow(wid, _doc("a", "both", name=name))["version"] == 4
    assert _node_ids(other.get_workflow(wid)) == ["a", "both"]


def test_an_explicit_base_version_and_a_slug_work_as_the_remembered_one(
    client: OrcheoClient, other: OrcheoClient
) -> None:
    name = f"slugged-{uuid.uuid4().hex[:8]}"
    created = client.create_workflow(_doc("a", name=name))
    wid, slug = created["id"], created["slug"]
    client.update_workflow(slug, _doc("a", "b", name=name))  # remembered under the slug too
    assert client.known_version(wid) == client.known_version(slug) == 2

    with pytest.raises(VersionConflictError) as info:
        other.update_workflow(slug, _doc("x", name=name), base_version=1)
    assert (info.value.workflow_id, info.value.base_version, info.value.latest) == (slug, 1, 2)
    assert other.update_workflow(slug, _doc("x", name=name), base_version=2)["version"] == 3


def test_a_client_that_never_loaded_the_workflow_stores_on_top_as_a_deploy_script_does(
    client: OrcheoClient, other: OrcheoClient
) -> None:
    name = f"unknown-{uuid.uuid4().hex[:8]}"
    wid = client.create_workflow(_doc("a", name=name))["id"]
    assert client.update_workflow(wid, _doc("a", "b", name=name))["version"] == 2
    again = client.update_workflow(wid, _doc("a", "b", name=name))
    assert (again["version"], again["stored"]) == (2, False)  # the latest holds it already
    # ``other`` never loaded it: it stores what it holds, and from then on it is checked.
    assert other.update_workflow(wid, _doc("c", name=name))["version"] == 3
    assert other.known_version(wid) == 3
    client.update_workflow(wid, _doc("d", name=name), overwrite=True)
    with pytest.raises(VersionConflictError):
        other.update_workflow(wid, _doc("e", name=name))
    assert _node_ids(client.get_workflow(wid)) == ["d"]


def test_the_first_save_of_a_new_id_creates_it_once(
    client: OrcheoClient, other: OrcheoClient
) -> None:
    wid = f"new-{uuid.uuid4().hex[:8]}"
    created = client.update_workflow(wid, _doc("a", name=wid), create=True)
    assert (created["id"], created["version"]) == (wid, 1)
    # Someone else "creating" the same id meets the workflow created since.
    with pytest.raises(VersionConflictError) as info:
        other.update_workflow(wid, _doc("b", name=wid), create=True)
    assert (info.value.base_version, info.value.latest) == (0, 1)
    assert "this edit was made from none (a new workflow), the server has version 1" in str(
        info.value
    )
    assert _node_ids(client.get_workflow(wid)) == ["a"]
    # The creator's next save is based on what it created.
    assert client.update_workflow(wid, _doc("a", "b", name=wid), create=True)["version"] == 2


def test_a_retried_save_whose_first_answer_was_lost_is_not_its_own_conflict(
    client: OrcheoClient, server: Server, proxy: FaultProxy
) -> None:
    name = f"retried-{uuid.uuid4().hex[:8]}"
    wid = client.create_workflow(_doc("a", name=name))["id"]
    with OrcheoClient(proxy.url, server.token, backoff=Backoff(initial=0.01)) as flaky:
        flaky.get_workflow(wid)
        proxy.faults.append(Fault("lose_reply", path=f"/workflows/{wid}"))
        saved = flaky.update_workflow(wid, _doc("a", "b", name=name))
        assert saved["version"] == 2 and _node_ids(saved) == ["a", "b"]
        assert len(proxy.requests_to(f"/workflows/{wid}?", "PUT")) == 2  # stored, then retried
        assert flaky.known_version(wid) == 2
    assert [v["version"] for v in client.list_versions(wid)] == [1, 2]


def test_a_restore_chosen_before_someone_else_stored_is_refused(
    client: OrcheoClient, other: OrcheoClient
) -> None:
    name = f"restored-{uuid.uuid4().hex[:8]}"
    wid = client.create_workflow(_doc("a", name=name))["id"]
    client.update_workflow(wid, _doc("a", "b", name=name))
    assert other.get_workflow(wid)["version"] == 2  # both see version 2 as the latest
    client.update_workflow(wid, _doc("a", "b", "c", name=name))

    with pytest.raises(VersionConflictError) as info:
        other.restore_version(wid, 1)
    assert (info.value.base_version, info.value.latest) == (2, 3)
    assert str(info.value).endswith(
        "restore_version(..., overwrite=True) stores yours on top (POST "
        f"{other.base_url}/orcheo/api/workflows/{wid}/versions/1/restore?base_version=2)"
    )
    assert _node_ids(client.get_workflow(wid)) == ["a", "b", "c"]
    assert [v["version"] for v in client.list_versions(wid)] == [1, 2, 3]

    restored = other.restore_version(wid, 1, overwrite=True)
    assert (restored["version"], restored["restored_from"]) == (4, 1)
    assert _node_ids(restored) == ["a"] and other.known_version(wid) == 4
    # Restoring from the version just loaded needs no overwrite.
    assert other.restore_version(wid, 3)["version"] == 5
    # A client that never loaded it restores on top, as a script does.
    with OrcheoClient(client.base_url, client.http.token) as blind:
        assert blind.restore_version(wid, 1)["version"] == 6
