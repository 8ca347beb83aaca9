"""What the repository raises, whatever the database (re-exported by ``store.base``)."""


class NotFound(LookupError):
    """The named workflow, version or run does not exist."""


class Conflict(ValueError):
    """The write clashes with what is stored (e.g. an id that already exists)."""
