"""``%%orcheo NAME`` and ``%orcheo run|resume|list|show|runs|code|export``.

The cell magic builds a workflow (Python builder code, or the document as
JSON/YAML), validates it, saves ``NAME.orcheo.json`` beside the notebook and in
the shared store, and shows the canvas bound to it. Line magics run workflows
in the kernel with live progress, list them, show history and turn documents
back into builder code.
"""

from __future__ import annotations

import argparse
import json
import keyword
import shlex
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import display

from ..runtime import background, breakpoints
from ..runtime.outcomes import RunStateError
from ..spec.diff import diff_documents, format_diff
from ..spec.io import stored_form
from ..spec.models import CodeNode, WorkflowDocument
from ..spec.problems import DocumentError
from ..store.base import NotFound
from ..store.errors import VersionConflict
from ..workflow import RunResult, Workflow
from . import running, storage
from .cell import build_cell
from .cell_options import add_cell_options
from .code_lines import CodeOrigin, cite_cells
from .codegen import document_to_code
from .conflicts import conflict_message
from .display import RunsView, RunView, WorkflowsView
from .errors import CellProblem, OrcheoCellError

if TYPE_CHECKING:
    from ..runtime.executor import Executor

USAGE = """\
%%orcheo NAME [--format python|json|yaml] [--no-show] [--dir DIR] [--force]
    The cell builds workflow NAME (Python with `workflow.add_node(...)`, or the document
    as JSON/YAML), validates it, saves NAME.orcheo.json and the store, shows the canvas.
    A version stored by someone else since this kernel's is never replaced: the cell
    says so and stores nothing; --force stores it on top (theirs stays a version).
%orcheo run NAME [--inputs JSON | --inputs-var VAR] [--config JSON] [-o VAR] [--quiet]
                [--break-before A,B] [--break-after C] [--force]   pause there (resume continues)
%orcheo resume [RUN_ID] [--value JSON | --value-var VAR] [-o VAR] [--quiet]
                                  answer an interrupt (at a breakpoint: no value, it continues)
%orcheo rerun RUN_ID [--checkpoint ID] [--patch JSON | --patch-var VAR]
                                  a new run from the start or a checkpoint (fork: edited state)
%orcheo list                      stored workflows (and files beside the notebook)
%orcheo show NAME [--version N]   the canvas
%orcheo runs NAME [--limit N]     run history
%orcheo code NAME [--print] [--version N]   the builder code of a document
%orcheo diff NAME A [B]           what changed from version A to B (default: the current one)
%orcheo new NAME --template T [--force] [--no-show]   a workflow from the templates gallery
%orcheo templates                 the templates gallery
%orcheo evaluate NAME DATA [--limit N] [--split S] [-o VAR] [--force]
                                  one stored run per case of DATA (.jsonl/.json/.csv); a score table
%orcheo test NAME NODE [--run RUN_ID | --state-var VAR] [--config-var VAR]
                                  run one node alone (default: on its input in the latest run)
%orcheo debug RUN_ID NODE         a cell with the node's input `state` and its code or config
%orcheo push NAME NODE [--from VAR] [--force]   store the edited function/config as a new version
%orcheo state RUN_ID NODE         the state a node received in a run (state = %orcheo state ...)
%orcheo export ...                bundle the notebook's workflows for deployment"""


def _debugging() -> ModuleType:
    """``magics/debugging.py``, loaded by the first debug command (it loads LangGraph)."""
    from . import debugging

    return debugging


class _Parser(argparse.ArgumentParser):
    """argparse that reports mistakes as one short cell error instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise OrcheoCellError(f"{message}\nusage: {self.format_usage().strip()[7:]}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise OrcheoCellError(message or USAGE)


def _parser(prog: str) -> _Parser:
    return _Parser(prog=prog, add_help=False, allow_abbrev=False)


def _add_value_option(parser: _Parser, name: str) -> None:
    """``--NAME JSON | --NAME-var VAR``: a value typed as JSON, or a notebook variable's."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(f"--{name}", default=None)
    group.add_argument(f"--{name}-var", default=None)


def _positive(text: str) -> int:
    """argparse type of counts and version numbers: a whole number from 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1, got {value}")
    return value


def _variable_name(text: str) -> str:
    """argparse type of ``-o VAR``: a name the notebook can then use."""
    if not text.isidentifier() or keyword.iskeyword(text):
        raise argparse.ArgumentTypeError(f"expected a Python variable name, got {text!r}")
    return text


def _add_run_view_options(parser: _Parser) -> None:
    """``-o VAR`` (keep the run's result there) and ``--quiet`` (no live run view)."""
    parser.add_argument("-o", "--output", default=None, type=_variable_name)
    parser.add_argument("--quiet", action="store_true")


#: What ``_value_option`` answers when neither ``--NAME`` nor ``--NAME-var`` was given.
_NOT_GIVEN: Any = object()


def _json_option(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise OrcheoCellError(f"{what} is nested too deeply to parse") from None
    except json.JSONDecodeError as exc:
        raise OrcheoCellError(f"{what} is not valid JSON (column {exc.colno}: {exc.msg})") from None


def _message(exc: BaseException) -> str:
    """The exception's text; a KeyError's repr quotes come off, other quotes stay."""
    text = str(exc)
    if isinstance(exc, KeyError) and len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise OrcheoCellError(f"cannot read the magic's arguments: {exc}") from None


@magics_class
class OrcheoMagics(Magics):
    """The ``orcheo`` line and cell magic."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        #: Workflows built or shown in this kernel, by name; canvases are bound to these.
        self.live: dict[str, Workflow] = {}
        self.paths: dict[str, Path | None] = {}
        #: Workflow name -> its code nodes' origins in the notebook (errors cite them).
        self.origins: dict[str, dict[str, CodeOrigin]] = {}
        #: Stored-form checksum -> what saving it gave; a run of an unchanged document
        #: skips validation, compilation and the store round trips.
        self._saved: dict[str, storage.Saved] = {}
        self.directory: Path | None = None  # default: the kernel's working directory
        #: Workflow name -> the document its %%orcheo cell last built (edits made since
        #: elsewhere are kept as a version before a re-run cell replaces them).
        self._built: dict[str, WorkflowDocument] = {}
        #: Workflow id -> the version this kernel last loaded or stored: the version its
        #: edits are made from (``base_version``), so someone else's is never replaced.
        self._bases: dict[str, int] = {}

    @property
    def ip(self) -> Any:
        """The shell (always set once the magics are registered)."""
        assert self.shell is not None
        return self.shell

    @property
    def here(self) -> Path:
        return self.directory or Path.cwd()

    @line_cell_magic
    def orcheo(self, line: str, cell: str | None = None) -> Any:
        try:
            return self._cell(line, cell) if cell is not None else self._line(line)
        except OrcheoCellError:
            raise
        except DocumentError as exc:
            problems = [CellProblem(str(p).removeprefix("error: ")) for p in exc.problems]
            raise OrcheoCellError(problems) from None
        except (LookupError, ValueError, RunStateError, NotFound, OSError) as exc:
            raise OrcheoCellError(_message(exc)) from None

    # --- %%orcheo NAME -----------------------------------------------------------------
    def _cell(self, line: str, cell: str) -> None:
        parser = _parser("%%orcheo")
        add_cell_options(parser)
        args = parser.parse_args(_split(line))
        directory = Path(args.dir).expanduser() if args.dir else self.here
        path = storage.file_for(args.name, directory)
        # Line 1 of the cell is the magic itself: the body starts on line 2.
        built = build_cell(cell, args.name, args.format, namespace=self.ip.user_ns, first_line=2)
        self.origins[args.name] = built.origins
        for warning in built.warnings:
            print(f"⚠ {warning}", file=sys.stderr)
        retry = f"re-running this cell as `%%orcheo {line.strip()} --force`"
        self._keep_outside_edits(args.name, path, args.force, retry)
        saved = self._store(
            args.name, built.workflow.document, path, args.force, "not saved", retry
        )
        self._built[args.name] = built.workflow.document.model_copy(deep=True)
        workflow = self._remember(args.name, Workflow.from_document(saved.document), path)
        what = (
            "new workflow" if saved.created else "unchanged" if not saved.changed else "new version"
        )
        print(f"saved {path.name} · version {saved.version} ({what}, id {saved.workflow_id})")
        if not args.no_show:
            self._show(workflow, path)

    def _keep_outside_edits(self, name: str, path: Path, force: bool, retry: str) -> None:
        """Store the live workflow's edits made since its cell ran, before the cell replaces them.

        A canvas (or Python) edits the live workflow, not the cell: re-running the cell
        takes the cell's graph, so those edits are kept as a version and named.
        """
        live, before = self.live.get(name), self._built.get(name)
        if live is None or before is None or self.paths.get(name) != path:
            return
        summary = str(diff_documents(before, live.document)["summary"])
        if summary in ("no changes", "layout changed only"):
            return
        kept = self._store(name, live.document, None, force, "not saved", retry)
        print(
            f"⚠ {name} had edits made outside this cell since it ran ({summary}); the cell "
            f"replaces them. They are kept as version {kept.version}: "
            f"`%orcheo code {name} --version {kept.version}` gives them as a cell",
            file=sys.stderr,
        )

    def _remember(self, name: str, workflow: Workflow, path: Path | None) -> Workflow:
        """Make ``workflow`` the kernel's live ``name``; returns the object now bound.

        A name already live keeps its object, given the new document, so canvases
        shown earlier (``%orcheo show``) redraw instead of editing and saving the old one.
        """
        known = self.live.get(name)
        if known is not None and self.paths.get(name) == path:
            workflow = known.replace_document(workflow.document)
        self.live[name] = workflow
        self.paths[name] = path
        ns = self.ip.user_ns
        free = name not in ns or isinstance(ns[name], Workflow)
        if name.isidentifier() and not keyword.iskeyword(name) and free:
            ns[name] = workflow
        return workflow

    def _show(self, workflow: Workflow, path: Path | None, read_only: bool = False) -> None:
        try:
            from ..widget import Canvas
        except Exception:  # no anywidget here: a static picture, or at least the summary
            try:
                from ..widget.picture import to_svg
            except Exception:
                display(workflow)
                return
            from IPython.display import SVG

            display(SVG(to_svg(workflow.document)))
            return
        display(Canvas(workflow, path=path, read_only=read_only))

    # --- %orcheo ... ---------------------------------------------------------------------
    def _line(self, line: str) -> Any:
        words = _split(line)
        if not words or words[0] in ("help", "-h", "--help"):
            print(USAGE)
            return None
        command, rest = words[0], words[1:]
        handler = getattr(self, f"_cmd_{command}", None)
        if handler is None:
            raise OrcheoCellError(f"unknown command {command!r}\n{USAGE}")
        return handler(rest, line.split(command, 1)[1])

    def _resolve(
        self, name: str, version: int | None = None
    ) -> tuple[WorkflowDocument, str, Path | None]:
        """A workflow by name: this kernel's live one, the file here, or the store."""
        doc, source, path, _ = self._read(name, version)
        return doc, source, path

    def _read(
        self, name: str, version: int | None = None
    ) -> tuple[WorkflowDocument, str, Path | None, int | None]:
        """``_resolve``, with the stored version read (None: live or the file)."""
        if version is None and name in self.live:
            return self.live[name].document, "live", self.paths.get(name), None
        doc, path, stored = background.run(storage.load(name, self.here, version))
        source = "file" if path is not None and version is None else "store"
        return doc, source, path, stored

    def _loaded(self, doc: WorkflowDocument, version: int | None) -> None:
        """This kernel edits ``doc`` from here on: its stored version is the base."""
        if doc.id is not None and version is not None:
            self._bases[doc.id] = version

    def _cmd_diff(self, words: list[str], _raw: str) -> None:
        parser = _parser("%orcheo diff")
        parser.add_argument("name")
        parser.add_argument("a", type=_positive)
        parser.add_argument("b", type=_positive, nargs="?")
        args = parser.parse_args(words)
        before, _, _ = self._resolve(args.name, args.a)
        after, source, _ = self._resolve(args.name, args.b)
        label = f"version {args.b}" if args.b is not None else f"current ({source})"
        diff = diff_documents(before, after)
        print(format_diff(diff, f"{args.name}: version {args.a} → {label}"))
        self.ip.user_ns["_orcheo_diff"] = diff
        return None

    def _cmd_templates(self, words: list[str], _raw: str) -> None:
        from .. import templates

        if words:
            raise OrcheoCellError(
                f"unrecognized arguments: {' '.join(words)}\nusage: %orcheo templates"
            )
        for t in templates.catalogue():
            print(f"{t['name']:<24} {t['title']}: {t['description']}")

    def _cmd_new(self, words: list[str], _raw: str) -> None:
        from .. import spec, templates

        parser = _parser("%orcheo new")
        parser.add_argument("name")
        parser.add_argument("--template", required=True)
        parser.add_argument("--force", action="store_true")  # the file and the stored workflow
        parser.add_argument("--no-show", action="store_true")
        args = parser.parse_args(words)
        try:
            data = templates.document(args.template, args.name)
        except templates.UnknownTemplate as exc:
            raise OrcheoCellError(str(exc)) from None
        path = storage.file_for(args.name, self.here)
        if path.exists() and not args.force:
            raise OrcheoCellError(f"{path.name} exists; pick another name or add --force")
        retry = f"`%orcheo new {args.name} --template {args.template} --force`"
        doc = spec.document_from_data(data)
        saved = self._store(args.name, doc, path, args.force, "not saved", retry)
        workflow = self._remember(args.name, Workflow.from_document(saved.document), path)
        print(
            f"saved {path.name} from template {args.template} · version {saved.version} "
            f"(id {saved.workflow_id})"
        )
        if not args.no_show:
            self._show(workflow, path)

    def _cmd_evaluate(self, words: list[str], _raw: str) -> Any:
        from ..evaluate import CasesUnusable, evaluate, read_cases

        parser = _parser("%orcheo evaluate")
        parser.add_argument("name")
        parser.add_argument("data")
        parser.add_argument("--limit", type=_positive, default=None)
        parser.add_argument("--split", default=None)
        parser.add_argument("-o", "--output", default=None, type=_variable_name)
        parser.add_argument("--force", action="store_true")
        args = parser.parse_args(words)
        data = Path(args.data)
        if not data.is_absolute():
            data = self.here / data
        try:
            cases = read_cases(data, args.limit, args.split, shown_as=args.data)
        except CasesUnusable as exc:
            raise OrcheoCellError(str(exc)) from None
        retry = f"`%orcheo evaluate {_raw.strip()} --force`"
        saved = self._save_resolved(args.name, args.force, "not evaluated", retry)

        async def go() -> Any:
            from .. import local

            executor = await local.executor()
            return await evaluate(
                executor,
                saved.document,
                cases,
                name=args.name,
                workflow_id=saved.workflow_id,
                version=saved.version,
            )

        result = background.run(go())
        if args.output:
            self.ip.user_ns[args.output] = result
        return result

    def _cmd_state(self, words: list[str], _raw: str) -> dict[str, Any]:
        parser = _parser("%orcheo state")
        parser.add_argument("run_id")
        parser.add_argument("node")
        args = parser.parse_args(words)

        async def go(executor: Executor) -> Any:
            return await _debugging().input_of(executor, args.run_id, args.node)

        found = background.run(storage.with_executor(go))
        return dict(found.state)

    def _cmd_debug(self, words: list[str], _raw: str) -> None:
        parser = _parser("%orcheo debug")
        parser.add_argument("run_id")
        parser.add_argument("node")
        args = parser.parse_args(words)

        async def go(executor: Executor) -> Any:
            doc = await _debugging().run_document(executor, args.run_id)
            node = _debugging().find_node(doc, args.node)
            return doc, node, await _debugging().input_of(executor, args.run_id, args.node)

        doc, node, found = background.run(storage.with_executor(go))
        self.ip.user_ns["state"] = dict(found.state)
        self.ip.set_next_input(_debugging().debug_cell(doc, node, args.run_id), replace=False)
        print(
            f"inserted a cell below to debug {args.node!r} of {doc.name!r}; `state` holds its "
            f"input in run {args.run_id[:8]} (from its {found.source})"
        )

    def _cmd_test(self, words: list[str], _raw: str) -> Any:
        parser = _parser("%orcheo test")
        parser.add_argument("name")
        parser.add_argument("node")
        where = parser.add_mutually_exclusive_group()
        where.add_argument("--run", default=None)
        where.add_argument("--state-var", default=None)
        parser.add_argument("--config-var", default=None)
        args = parser.parse_args(words)
        doc, _, _ = self._resolve(args.name)
        node_id = _debugging().testable_node(doc, args.node)
        if args.config_var is not None:  # only a drawn node has a config to try
            node = _debugging().find_node(doc, node_id)
            doc = _debugging().with_config(doc, node.id, self._variable(args.config_var))
        state = self._variable(args.state_var) if args.state_var else None

        async def go(executor: Executor) -> Any:
            given = state
            if given is None:
                found = await (
                    _debugging().input_of(executor, args.run, node_id)
                    if args.run
                    else _debugging().default_input(executor, doc, node_id)
                )
                given = found.state
            return await executor.test_node(doc, node_id, given, workflow_id=doc.id)

        result = background.run(storage.with_executor(go))
        print(_debugging().report(result))
        self.ip.user_ns["_orcheo_test"] = result.as_dict()
        return None

    def _cmd_push(self, words: list[str], _raw: str) -> None:
        parser = _parser("%orcheo push")
        parser.add_argument("name")
        parser.add_argument("node")
        parser.add_argument("--from", dest="source", default=None)
        parser.add_argument("--force", action="store_true")
        args = parser.parse_args(words)
        doc, source, path, version = self._read(args.name)
        node = _debugging().find_node(doc, args.node)
        fn_name = _debugging().function_name(node.id)
        if isinstance(node, CodeNode):
            edited = _debugging().with_body(doc, node.id, self._variable(args.source or fn_name))
        else:
            variable = args.source or f"{fn_name}_config"
            edited = _debugging().with_config(doc, node.id, self._variable(variable))
        if source == "store":
            self._loaded(doc, version)
        retry = f"`%orcheo push {_raw.strip()} --force`"
        target = path if source != "store" else None
        saved = self._store(args.name, edited, target, args.force, "not pushed", retry, reuse=True)
        self._remember(args.name, Workflow.from_document(saved.document), path)
        diff = diff_documents(doc, saved.document)
        where = path.name if path is not None and source != "store" else "the store"
        print(f"pushed {node.id!r} to {where} · version {saved.version}")
        print(format_diff(diff))

    def _variable(self, name: str) -> Any:
        if name not in self.ip.user_ns:
            raise OrcheoCellError(f"no variable named {name!r} in the notebook")
        return self.ip.user_ns[name]

    def _cmd_run(self, words: list[str], _raw: str) -> None:
        parser = _parser("%orcheo run")
        parser.add_argument("name")
        _add_value_option(parser, "inputs")
        parser.add_argument("--config", default=None)
        parser.add_argument("--break-before", default=None)
        parser.add_argument("--break-after", default=None)
        parser.add_argument("--force", action="store_true")
        _add_run_view_options(parser)
        args = parser.parse_args(words)
        values = self._value_option(args, "inputs", default={})
        if not isinstance(values, Mapping):
            raise OrcheoCellError(f"inputs must be a JSON object, got {type(values).__name__}")
        config = _json_option(args.config, "--config") if args.config else None
        if config is not None and not isinstance(config, dict):
            raise OrcheoCellError('--config must be a JSON object such as {"configurable": {...}}')
        config = breakpoints.into_config(
            config,
            breakpoints.node_list(args.break_before),
            breakpoints.node_list(args.break_after),
        )
        retry = f"`%orcheo run {_raw.strip()} --force`"
        saved = self._save_resolved(args.name, args.force, "not run", retry)
        live = self.live.get(args.name)
        if live is not None and live.document.id is None:
            live.document.id = saved.workflow_id

        async def start(executor: Executor) -> str:
            return await executor.submit(
                saved.document,
                dict(values),
                workflow_id=saved.workflow_id,
                version=saved.version,
                config=config,
            )

        self._follow(args.name, start, live, args.output, args.quiet)

    def _save_resolved(self, name: str, force: bool, what: str, retry: str) -> storage.Saved:
        """The stored version of workflow ``name`` as this kernel has it (live, the file
        here, or the store), saving it first when it changed."""
        doc, source, path, version = self._read(name)
        if source == "store":
            self._loaded(doc, version)
        target = path if source != "store" else None
        return self._store(name, doc, target, force, what, retry, reuse=True)

    def _store(
        self,
        name: str,
        doc: WorkflowDocument,
        path: Path | None,
        force: bool,
        what: str,
        retry: str,
        *,
        reuse: bool = False,
    ) -> storage.Saved:
        """Save ``doc`` from this kernel's base version; a version someone else stored
        since is a cell error saying ``name`` was ``what`` and how to go on (``retry``
        stores it on top). ``reuse``: what this kernel stored of this very document (and
        file), when it did, instead of saving it again."""
        if reuse and doc.id is not None:
            known = self._saved.get(stored_form(doc)[0])
            if known is not None and (path is None or (path == known.path and path.exists())):
                return known
        try:
            saved = background.run(storage.save(doc, path, bases=self._bases, force=force))
        except VersionConflict as conflict:
            raise OrcheoCellError(conflict_message(name, conflict, what, retry, path)) from None
        self._saved[stored_form(saved.document)[0]] = saved
        self._bases[saved.workflow_id] = saved.version
        return saved

    def _value_option(self, args: argparse.Namespace, name: str, default: Any = _NOT_GIVEN) -> Any:
        """The value ``--NAME JSON`` or ``--NAME-var VAR`` gave; ``default`` when neither did."""
        var = getattr(args, f"{name}_var")
        if var is not None:
            return self._variable(var)
        text = getattr(args, name)
        return _json_option(text, f"--{name}") if text is not None else default

    def _follow(
        self,
        name: str,
        start: running.Start,
        live: Workflow | None,
        output: str | None,
        quiet: bool,
    ) -> RunResult:
        view = RunView(name)
        view.cite = self._citer(name, live)
        handle = None if quiet else display(view, display_id=True)

        def publish(v: RunView) -> None:
            if handle is not None:
                handle.update(v)

        def forward(event: dict[str, Any]) -> None:
            if live is not None:
                live.notify("run_event", event)  # e.g. the canvas lights up the node

        record = running.follow(start, view, publish, forward)
        result = RunResult(record)
        self.ip.user_ns["_orcheo_run"] = result
        if output:
            self.ip.user_ns[output] = result
        if record.status in ("failed", "cancelled"):
            error = view.cite(record.error)
            suffix = f": {error}" if error else ""
            raise OrcheoCellError(f"run {record.id} {record.status}{suffix}")
        return result

    def _citer(self, name: str, live: Workflow | None) -> Callable[[str | None], str | None]:
        """Rewrites "node 'x' failed (line N of its code)" to the line of the user's cell."""
        origins = self.origins.get(name) or {}
        if not origins or live is None:
            return lambda text: text
        nodes = live.ir.nodes if live.document.graph.format == "frozen-ir" else []
        bodies = {n.id: n.body for n in nodes if isinstance(n, CodeNode)}

        def where(origin: CodeOrigin) -> str:
            if origin.filename.startswith("<orcheo-cell "):
                return f"the %%orcheo {name} cell"
            named = self.ip.compile.format_code_name(origin.filename)
            return f"{named[0].lower()} {named[1]}" if named else origin.filename

        return lambda text: cite_cells(text, origins, bodies, where)

    def _cmd_resume(self, words: list[str], _raw: str) -> None:
        parser = _parser("%orcheo resume")
        parser.add_argument("run_id", nargs="?")
        _add_value_option(parser, "value")
        _add_run_view_options(parser)
        args = parser.parse_args(words)
        run_id = args.run_id
        if run_id is None:
            last = self.ip.user_ns.get("_orcheo_run")
            if not isinstance(last, RunResult) or last.status != "interrupted":
                raise OrcheoCellError("no interrupted run to resume: name the run id")
            run_id = last.id
        answer = self._value_option(args, "value")
        if answer is _NOT_GIVEN:
            if not self._at_breakpoint(run_id):
                raise OrcheoCellError(
                    "the run waits for an answer: give --value JSON or --value-var VAR"
                )
            answer = None  # a breakpoint just continues
        name = self._run_name(run_id)
        live = self.live.get(name)

        async def start(executor: Executor) -> str:
            return await executor.resume(run_id, answer)

        self._follow(name, start, live, args.output, args.quiet)

    def _at_breakpoint(self, run_id: str) -> bool:
        async def go(executor: Executor) -> bool:
            record = await executor.get_run(run_id)
            from ..runtime.breakpoints import is_breakpoint

            return record.status == "interrupted" and is_breakpoint(record.interrupt)

        return bool(background.run(storage.with_executor(go)))

    def _cmd_rerun(self, words: list[str], _raw: str) -> None:
        parser = _parser("%orcheo rerun")
        parser.add_argument("run_id")
        parser.add_argument("--checkpoint", default=None)
        _add_value_option(parser, "patch")
        _add_run_view_options(parser)
        args = parser.parse_args(words)
        state_patch = self._value_option(args, "patch")
        if state_patch is _NOT_GIVEN:
            state_patch = None
        elif not isinstance(state_patch, Mapping):
            raise OrcheoCellError("the state patch must be a JSON object / dict")
        name = self._run_name(args.run_id)

        async def start(executor: Executor) -> str:
            return await executor.rerun(args.run_id, args.checkpoint, state_patch)

        self._follow(name, start, self.live.get(name), args.output, args.quiet)

    def _run_name(self, run_id: str) -> str:
        async def go() -> str:
            from .. import local

            executor = await local.executor()
            record = await executor.get_run(run_id)
            if record.workflow_id:
                try:
                    return (await executor.store.get_workflow(record.workflow_id)).name
                except NotFound:
                    pass
            return "run"

        return background.run(go())

    def _cmd_list(self, words: list[str], _raw: str) -> None:
        if words:
            raise OrcheoCellError(f"unrecognized arguments: {' '.join(words)}\nusage: %orcheo list")
        records = background.run(storage.list_workflows())
        files = {p.name[: -len(storage.SUFFIX)] for p in self.here.glob(f"*{storage.SUFFIX}")}
        display(WorkflowsView(records, files))

    def _cmd_show(self, words: list[str], _raw: str) -> None:
        parser = _parser("%orcheo show")
        parser.add_argument("name")
        parser.add_argument("--version", type=_positive, default=None)
        args = parser.parse_args(words)
        doc, source, path, version = self._read(args.name, args.version)
        workflow = self.live[args.name] if source == "live" else Workflow.from_document(doc)
        if args.version is None and source != "live":
            self._loaded(doc, version)
            self.live[args.name] = workflow
            self.paths[args.name] = path
        # A past version is shown read-only: edited and saved, it would replace the file.
        if args.version is None:
            self._show(workflow, path)
        else:
            self._show(workflow, None, read_only=True)

    def _cmd_runs(self, words: list[str], _raw: str) -> None:
        parser = _parser("%orcheo runs")
        parser.add_argument("name")
        parser.add_argument("--limit", type=_positive, default=20)
        args = parser.parse_args(words)
        record, runs = background.run(storage.list_runs(args.name, args.limit))
        display(RunsView(record, runs))

    def _cmd_code(self, words: list[str], _raw: str) -> str | None:
        parser = _parser("%orcheo code")
        parser.add_argument("name")
        parser.add_argument("--print", action="store_true", dest="print_only")
        parser.add_argument("--version", type=_positive, default=None)
        args = parser.parse_args(words)
        doc, _source, _path, version = self._read(args.name, args.version)
        code = document_to_code(doc)
        if not args.print_only:  # the cell inserted is an edit of that version
            self._loaded(doc, version)
        if args.print_only:
            print(code, end="")
            return None
        self.ip.set_next_input(code.rstrip("\n"), replace=False)
        print(f"inserted the builder code of {doc.name!r} in a new cell below")
        return None

    def _cmd_export(self, words: list[str], raw: str) -> Any:
        try:
            from .. import export
        except ImportError:
            raise OrcheoCellError(
                "%orcheo export is not available yet: this version of orcheo-jupyter has no "
                "export module (orcheo_jupyter.export)"
            ) from None
        magic = getattr(export, "magic", None)
        if callable(magic):
            return magic(raw.strip(), self.shell)
        from ..cli import main

        code = main(["export", *words])
        if code != 0:
            raise OrcheoCellError(f"export failed (exit code {code})")
        return None


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext orcheo_jupyter``."""
    ipython.register_magics(OrcheoMagics)


def unload_ipython_extension(ipython: Any) -> None:
    magics = ipython.magics_manager.registry.pop("OrcheoMagics", None)
    if magics is not None:
        ipython.magics_manager.magics["line"].pop("orcheo", None)
        ipython.magics_manager.magics["cell"].pop("orcheo", None)
