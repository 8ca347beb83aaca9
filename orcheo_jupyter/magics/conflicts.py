"""What a magic says when its save met a version someone else stored since.

The kernel stores with ``base_version`` (see ``storage.save``); a refusal names the
workflow, the version this edit was made from and the one stored now, says that
nothing was stored, and gives the ways on: see theirs, or store yours on top.
"""

from __future__ import annotations

from pathlib import Path

from ..store.errors import VersionConflict


def conflict_message(
    name: str, conflict: VersionConflict, what: str, retry: str, path: Path | None
) -> str:
    """``NAME WHAT: ...`` for a cell error; ``retry`` is the command that stores it on top."""
    wid, base, latest = conflict.workflow_id, conflict.base, conflict.current
    untouched = "nothing was stored"
    if path is not None:
        untouched += f" and {path.name} " + ("is unchanged" if path.exists() else "was not written")
    theirs = f"`%orcheo code {name} --version {latest}` gives the stored version as a cell"
    if base == 0:
        return (
            f"{name} {what}: workflow {name!r} (id {wid}) is already stored, at version "
            f"{latest}, and this edit was not made from any stored version of it (this kernel "
            f"has not loaded or stored it, and no {name}.orcheo.json here holds one of its "
            f"versions); {untouched}. {theirs}; {retry} stores yours as version "
            f"{latest + 1} (version {latest} stays in the history)."
        )
    return (
        f"{name} {what}: workflow {name!r} (id {wid}) was stored as version {latest} by "
        f"someone else (another notebook or kernel, a Lab tab, the REST API) since version "
        f"{base}, which this edit was made from; {untouched}. "
        f"`%orcheo diff {name} {base} {latest}` shows what they changed; {theirs}; {retry} "
        f"stores yours on top as version {latest + 1} (theirs stays as version {latest})."
    )
