"""Command line: ``python -m orcheo_jupyter`` / ``orcheo-jupyter``.

Every failure is one line on stderr naming what is wrong, never a traceback;
exit codes: 0 ok, 1 the run failed or the document has errors, 2 bad usage or
input, 3 the run is waiting for input (interrupted).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from . import spec
from .spec.problems import DocumentError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 3


class CliError(Exception):
    """A user-facing error: printed as one line, exit code attached."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def _json_arg(text: str | None, what: str) -> Any:
    if text is None:
        return None
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{what}: cannot read {path}: {exc.strerror}") from None

    try:
        return json.loads(text)  # NaN, 1e400...: refused on admission, by path
    except RecursionError:
        raise CliError(f"{what} is nested too deeply to parse") from None
    except json.JSONDecodeError as exc:
        raise CliError(
            f"{what} is not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})"
        ) from None


def _inputs(text: str | None) -> dict[str, Any]:
    value = _json_arg(text, "--inputs")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CliError(f"--inputs must be a JSON object, got {type(value).__name__}")
    return value


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


async def _with_executor(fn: Callable[[Any], Awaitable[int]]) -> int:
    from .runtime.executor import Executor
    from .vault.attach import attach_vault, detach_vault

    executor = await Executor.open()
    await attach_vault(executor)  # [[credentials]] resolve as in the server
    try:
        return await fn(executor)
    finally:
        await detach_vault(executor)
        await executor.aclose()


async def _with_store(fn: Callable[[Any], Awaitable[int]]) -> int:
    """Read-only commands open the repository alone: listing runs does not import
    LangGraph or the node library (an executor costs seconds of start-up)."""
    from .settings import Settings
    from .store.factory import open_repository

    store = await open_repository(Settings.from_env())
    try:
        return await fn(store)
    finally:
        await store.close()


def _report(record: Any) -> int:
    """Print a settled run: final state on stdout, or the failure on stderr."""
    if record.status == "succeeded":
        _print_json(record.final_state)
        return EXIT_OK
    if record.status == "interrupted" and (record.interrupt or [{}])[0].get("id") == "breakpoint":
        where = record.interrupt[0]["value"]
        at = (
            f"before {', '.join(where['before'])}"
            if where.get("before")
            else f"after {', '.join(where.get('after') or [])}"
        )
        state = where.get("state") or {}
        # A drawn workflow's outputs are under results; a script's state is its own.
        shown, what = (state["results"], "results") if "results" in state else (state, "state")
        so_far = json.dumps(shown, ensure_ascii=False)
        sys.stderr.write(
            f"run {record.id} paused at a breakpoint {at}; {what} so far: {so_far}\n"
            f"continue with: orcheo-jupyter resume {record.id}\n"
        )
        return EXIT_INTERRUPTED
    if record.status == "interrupted":
        payload = json.dumps(record.interrupt, ensure_ascii=False)
        sys.stderr.write(
            f"run {record.id} is waiting for input: {payload}\n"
            f"answer with: orcheo-jupyter resume {record.id} --value JSON\n"
        )
        return EXIT_INTERRUPTED
    sys.stderr.write(f"run {record.id} {record.status}: {record.error}\n")
    return EXIT_FAILED


def _load(path: str, entrypoint: str | None = None) -> Any:
    """A document file, or an upstream-style Python script (``workflow.py``)."""
    from .compat.documents import load_file

    return load_file(path, entrypoint)


def cmd_run(args: argparse.Namespace) -> int:
    inputs = _inputs(args.inputs)  # admitted (defaults, inputs_schema) when the run is submitted
    from .runtime.breakpoints import into_config, node_list

    config = into_config(
        _json_arg(args.config, "--config") or {},
        node_list(args.break_before),
        node_list(args.break_after),
    )
    doc = _load(args.path, args.entrypoint)

    async def go(executor: Any) -> int:
        record = await executor.execute(doc, inputs, config=config)
        if args.run_id:
            sys.stderr.write(f"run {record.id}\n")
        return _report(record)

    return asyncio.run(_with_executor(go))


def cmd_validate(args: argparse.Namespace) -> int:
    from .triggers.config import document_problems

    doc = _load(args.path, args.entrypoint)
    problems = document_problems(doc)
    for problem in problems:
        print(problem)
    errors = [p for p in problems if p.severity == "error"]
    if not problems:
        print(f"{args.path}: ok")
    return EXIT_FAILED if errors else EXIT_OK


def cmd_runs(args: argparse.Namespace) -> int:
    async def go(store: Any) -> int:
        runs, total = await store.list_runs(
            workflow_id=args.workflow, status=args.status, limit=args.limit
        )
        if args.json:
            _print_json({"total": total, "runs": [r.as_dict() for r in runs]})
            return EXIT_OK
        for r in runs:
            print(f"{r.id}  {r.status:<11}  {r.created_at}  {r.workflow_id or '-'}")
        return EXIT_OK

    return asyncio.run(_with_store(go))


def cmd_show(args: argparse.Namespace) -> int:
    async def go(store: Any) -> int:
        record = await store.get_run(args.run_id)
        out = record.as_dict()
        out["transitions"] = [
            t.status + "@" + t.at for t in await store.list_transitions(args.run_id)
        ]
        if args.events:
            out["events"] = [e.as_dict() for e in await store.list_events(args.run_id)]
        _print_json(out)
        return EXIT_OK

    return asyncio.run(_with_store(go))


def cmd_resume(args: argparse.Namespace) -> int:
    value = _json_arg(args.value, "--value")

    async def go(executor: Any) -> int:
        record = await executor.store.get_run(args.run_id)
        if record.status == "interrupted":
            await executor.resume(args.run_id, value)
        else:
            await executor.recover(args.run_id)
        return _report(await executor.wait(args.run_id))

    return asyncio.run(_with_executor(go))


def cmd_rerun(args: argparse.Namespace) -> int:
    patch = _json_arg(args.state_patch, "--state-patch")
    if patch is not None and not isinstance(patch, dict):
        raise CliError(f"--state-patch must be a JSON object, got {type(patch).__name__}")
    if patch and not args.checkpoint:
        raise CliError("--state-patch needs --checkpoint (the checkpoint to fork from)")

    async def go(executor: Any) -> int:
        new_id = await executor.rerun(args.run_id, args.checkpoint, patch)
        sys.stderr.write(f"new run {new_id}\n")
        return _report(await executor.wait(new_id))

    return asyncio.run(_with_executor(go))


def cmd_checkpoints(args: argparse.Namespace) -> int:
    async def go(executor: Any) -> int:
        _print_json(await executor.checkpoints(args.run_id))
        return EXIT_OK

    return asyncio.run(_with_executor(go))


def cmd_nodes(args: argparse.Namespace) -> int:
    from .nodes import registry

    if args.json:
        _print_json(
            [
                {k: e[k] for k in ("type", "category", "description", "trigger", "config_schema")}
                for e in registry.catalog()
            ]
        )
        return EXIT_OK
    for s in registry.all_specs():
        print(f"{s.category:<10} {s.type:<24} {s.description}")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import CasesUnusable, evaluate, read_cases

    doc = _load(args.path, args.entrypoint)
    try:
        cases = read_cases(Path(args.data), args.limit, args.split, shown_as=args.data)
    except CasesUnusable as exc:
        raise CliError(str(exc)) from None

    async def go(executor: Any) -> int:
        result = await evaluate(executor, doc, cases, name=doc.name or Path(args.path).stem)
        if args.json:
            _print_json(result.as_dict())
        else:
            print(result.table())
        for case in result.cases:
            if case.error:
                sys.stderr.write(f"case {case.case} {case.status}: {case.error}\n")
        return EXIT_FAILED if result.failed else EXIT_OK

    return asyncio.run(_with_executor(go))


def cmd_templates(args: argparse.Namespace) -> int:
    from . import templates

    if args.json:
        _print_json(templates.catalogue())
        return EXIT_OK
    for t in templates.catalogue():
        print(f"{t['name']:<24} {t['title']}")
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from . import templates

    try:
        data = templates.document(args.template, args.name)
    except templates.UnknownTemplate as exc:
        raise CliError(str(exc)) from None
    path = Path(args.output or f"{args.name}.orcheo.json")
    if path.exists() and not args.force:
        raise CliError(f"{path} exists; pick another name or add --force")
    spec.save(spec.document_from_data(data), path)
    print(path)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from .spec.schema import schema_text, write_schema

    which = "edits" if args.edits else "document"
    if args.write:
        print(write_schema(args.write, which))
    else:
        sys.stdout.write(schema_text(which))
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    try:
        from .distributed.worker import main as worker_main
    except ImportError as exc:
        raise CliError(
            f"the worker needs Celery and redis: pip install 'orcheo-jupyter[celery]' ({exc})"
        ) from None
    try:
        rest = args.worker_args
        return worker_main(rest[1:] if rest[:1] == ["--"] else rest)
    except ValueError as exc:  # a setting names itself
        raise CliError(str(exc)) from None


async def _document_at(ref: str, store: Any) -> Any:
    """``path.orcheo.json``, or ``WORKFLOW@N``: version N of a stored workflow (id or slug)."""
    from .spec.io import document_from_data

    if Path(ref).exists() or "@" not in ref:
        return _load(ref)
    workflow, _, number = ref.rpartition("@")
    if not number.isdigit():
        raise CliError(f"{ref!r}: expected a file or WORKFLOW@VERSION (a whole number)")
    version = await store.get_version(workflow, int(number))
    return document_from_data(version.document)


def cmd_diff(args: argparse.Namespace) -> int:
    from .spec.diff import diff_documents, format_diff

    async def go(executor: Any) -> int:
        before = await _document_at(args.old, executor.store)
        after = await _document_at(args.new, executor.store)
        diff = diff_documents(before, after)
        if args.json:
            _print_json(diff)
        else:
            print(format_diff(diff, f"{args.old} → {args.new}"))
        return EXIT_OK

    return asyncio.run(_with_executor(go))


def cmd_test(args: argparse.Namespace) -> int:
    """Run one node alone: on its input in a stored run, or on a given state."""
    from .runtime.node_input import NodeNotReached, node_input
    from .runtime.single_node import NodeTestError

    doc = _load(args.path, args.entrypoint)
    state = _json_arg(args.state, "--state")
    if state is not None and not isinstance(state, dict):
        raise CliError(f"--state must be a JSON object, got {type(state).__name__}")
    if state is None and args.run is None:
        raise CliError("give --run RUN_ID (test on the node's input in that run) or --state JSON")

    async def go(executor: Any) -> int:
        given = state
        if given is None:
            try:
                given = (await node_input(executor, args.run, args.node)).state
            except NodeNotReached as exc:
                raise CliError(str(exc)) from None
        try:
            tested = await executor.test_node(doc, args.node, given, workflow_id=doc.id)
        except NodeTestError as exc:
            raise CliError(str(exc)) from None
        _print_json(tested.as_dict())
        return EXIT_OK if tested.error is None else EXIT_FAILED

    return asyncio.run(_with_executor(go))


def cmd_export(args: argparse.Namespace) -> int:
    from .export.command import cmd_export as export

    return export(args)


def _entrypoint_option(p: argparse.ArgumentParser) -> None:
    """``--entrypoint``: which function or variable of a script makes its graph."""
    p.add_argument(
        "--entrypoint", help="for a Python script: the function or variable that makes its graph"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orcheo-jupyter", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run a workflow document and print its final state as JSON")
    p.add_argument("path")
    p.add_argument("--inputs", help="JSON object, or @file")
    p.add_argument("--config", help='run config as JSON (e.g. {"configurable": {...}}), or @file')
    p.add_argument("--run-id", action="store_true", help="print the run id on stderr")
    p.add_argument("--break-before", help="pause before these nodes (comma-separated)")
    p.add_argument("--break-after", help="pause after these nodes (comma-separated)")
    _entrypoint_option(p)
    p.set_defaults(fn=cmd_run)

    p = sub.add_parser("validate", help="check a document; one line per problem")
    p.add_argument("path")
    _entrypoint_option(p)
    p.set_defaults(fn=cmd_validate)

    p = sub.add_parser("runs", help="list stored runs")
    p.add_argument("--workflow")
    p.add_argument("--status")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_runs)

    p = sub.add_parser("show", help="show one run (status, transitions, final state)")
    p.add_argument("run_id")
    p.add_argument("--events", action="store_true", help="include the run's events")
    p.set_defaults(fn=cmd_show)

    p = sub.add_parser("resume", help="answer an interrupt, or continue a run whose process died")
    p.add_argument("run_id")
    p.add_argument("--value", help="the answer to the interrupt, as JSON")
    p.set_defaults(fn=cmd_resume)

    p = sub.add_parser(
        "rerun", help="re-run a run from the start or from a checkpoint, as a new run"
    )
    p.add_argument("run_id")
    p.add_argument("--checkpoint")
    p.add_argument(
        "--state-patch",
        help="edit the state at --checkpoint first (JSON object or @file): results merge by "
        "node id, other keys are replaced",
    )
    p.set_defaults(fn=cmd_rerun)

    p = sub.add_parser("checkpoints", help="list a run's checkpoints")
    p.add_argument("run_id")
    p.set_defaults(fn=cmd_checkpoints)

    p = sub.add_parser(
        "diff", help="what changed between two documents (files, or WORKFLOW@VERSION in the store)"
    )
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--json", action="store_true", help="the diff as JSON")
    p.set_defaults(fn=cmd_diff)

    p = sub.add_parser(
        "evaluate", help="run a workflow once per dataset case and print a score table"
    )
    p.add_argument("path", help="workflow document (.orcheo.json)")
    p.add_argument("data", help="cases: .jsonl, .json or .csv")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--split", default=None)
    p.add_argument("--json", action="store_true", help="print scores as JSON")
    _entrypoint_option(p)
    p.set_defaults(fn=cmd_evaluate)

    p = sub.add_parser("templates", help="list the workflow templates")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_templates)

    p = sub.add_parser("new", help="write a workflow document from a template")
    p.add_argument("name")
    p.add_argument("--template", required=True)
    p.add_argument("-o", "--output", default=None, help="default: NAME.orcheo.json")
    p.add_argument("--force", action="store_true")
    p.set_defaults(fn=cmd_new)

    p = sub.add_parser(
        "test", help="run one node of a document alone (nothing stored) and print its output"
    )
    p.add_argument("path")
    p.add_argument("node")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--run", help="test on the state the node received in this run")
    where.add_argument("--state", help="test on this state (JSON object, or @file)")
    _entrypoint_option(p)
    p.set_defaults(fn=cmd_test)

    p = sub.add_parser("nodes", help="list node types")
    p.add_argument("--json", action="store_true", help="the catalog as JSON")
    p.set_defaults(fn=cmd_nodes)

    p = sub.add_parser(
        "worker",
        help="execute runs queued by servers with ORCHEO_EXECUTOR=celery (a Celery worker)",
        add_help=False,
    )
    p.add_argument("worker_args", nargs=argparse.REMAINDER)
    p.set_defaults(fn=cmd_worker)

    p = sub.add_parser("schema", help="print (or --write) the document's JSON Schema")
    p.add_argument("--write")
    p.add_argument(
        "--edits", action="store_true", help="the schema of one edit (canvas diff) instead"
    )
    p.set_defaults(fn=cmd_schema)

    p = sub.add_parser(
        "export",
        help="bundle a notebook's workflows for deployment (documents, pinned requirements, "
        "config example, README, LangGraph files)",
    )
    p.add_argument("notebook", help="the .ipynb file, as saved on disk")
    p.add_argument("-o", "--output", help="the bundle directory (default: NOTEBOOK_bundle)")
    p.set_defaults(fn=cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from .runtime.outcomes import RunStateError
    from .store.base import NotFound

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["worker"]:  # its options are the worker's own (see `worker --help`)
        argv = ["worker", "--", *argv[1:]]
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except CliError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.code
    except DocumentError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"{problem}\n")
        return EXIT_FAILED
    except (NotFound, RunStateError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
