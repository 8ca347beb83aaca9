"""What the repository raises, whatever the database (re-exported by ``store.base``)."""


class NotFound(LookupError):
    """The named workflow, version or run does not exist."""


class Conflict(ValueError):
    """The write clashes with what is stored (e.g. an id that already exists)."""


class VersionConflict(Conflict):
    """A new version was made from one that is no longer the latest (a lost update)."""

    def __init__(self, workflow_id: str, base: int, current: int) -> None:
        self.workflow_id, self.base, self.current = workflow_id, base, current
        what = (
            f"was stored (version {current}) since this edit began from no stored version"
            if base == 0
            else f"is at version {current}, not {base}: it changed since this edit began"
        )
        super().__init__(
            f"base_version: workflow {workflow_id} {what}; load version {current} and apply "
            "the edit again"
        )
