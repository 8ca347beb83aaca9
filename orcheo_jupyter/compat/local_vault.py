"""Upstream's in-process credential setup, as names a script can import but not use.

Upstream's examples build a graph in ``build_graph()`` and, for running it on its
own, fill an ``InMemoryCredentialVault`` and wrap the run in
``credential_resolution(CredentialResolver(vault))``. Here the server's vault
resolves a node's ``[[name]]`` when the workflow runs, so that setup has nothing to
do: importing these names works (the graph loads), and using one says where
credentials live instead.
"""

from __future__ import annotations

from typing import Any, NoReturn

WHERE = (
    "orcheo-jupyter resolves [[name]] placeholders from its own credential vault when "
    "the workflow runs: store a credential in JupyterLab's Orcheo sidebar or with POST "
    "/orcheo/api/credentials, then run the workflow (its graph, e.g. build_graph(), is "
    "what orcheo-jupyter takes from the script)"
)


class LocalVaultError(RuntimeError):
    """A script used upstream's local credential setup (it only runs scripts on their own)."""


def _refuse(name: str) -> NoReturn:
    raise LocalVaultError(f"{name} is upstream's setup for running a script on its own; {WHERE}")


class _Refusing(type):
    """Class-level use (``CredentialScope.unrestricted()``) is refused, naming the class;
    annotations such as ``CredentialResolver | None`` still work."""

    def __getattr__(cls, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        _refuse(f"{cls.__module__}.{cls.__qualname__}.{attr}")

    def __call__(cls, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse(f"{cls.__module__}.{cls.__qualname__}()")


def _stand_in(module: str, name: str) -> type:
    return _Refusing(name, (), {"__module__": module, "__qualname__": name, "__doc__": WHERE})


def _credential_resolution(*args: Any, **kwargs: Any) -> NoReturn:
    _refuse("orcheo.runtime.credentials.credential_resolution()")


def models_members() -> dict[str, Any]:
    return {"CredentialScope": _stand_in("orcheo.models", "CredentialScope")}


def runtime_credentials_members() -> dict[str, Any]:
    return {
        "CredentialResolver": _stand_in("orcheo.runtime.credentials", "CredentialResolver"),
        "credential_resolution": _credential_resolution,
    }


def vault_members() -> dict[str, Any]:
    names = (
        "BaseCredentialVault",
        "InMemoryCredentialVault",
        "FileCredentialVault",
        "PostgresCredentialVault",
    )
    return {name: _stand_in("orcheo.vault", name) for name in names}
