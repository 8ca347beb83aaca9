"""Webhook ingress throughput (HMAC + idempotency) and the runs completed behind it.

A real ``jupyter orcheo`` is driven by wrk (Debian's package; one thread, C
connections). Python clients saturate long before the server on 2 cores, so wrk
sends pre-signed deliveries from a Lua table: each has its own body, timestamp,
``X-Orcheo-Signature`` (HMAC-SHA256) and ``Idempotency-Key``, so the server does
the full work for every one (vault read with its audit entry, signature check,
replay and idempotency lookups, durable group-committed insert, pending run row).

Rows, all measured in this run:

- baseline: ``GET /api`` (Jupyter's own no-op version handler, no auth): what this
  tornado process answers at all under the same wrk load.
- open:        a webhook with no checks and no idempotency key; runs execute.
- hmac+idem:   HMAC-SHA256 signature with timestamp, and an Idempotency-Key; runs
               execute in the same process (the dispatcher keeps one run active
               while the burst lasts, then drains the queue).
- hmac parked: the same deliveries, but the workflow's runs wait in the queue:
               what ingress alone costs.

accepted/s counts 202 answers over the wrk window; runs/s counts runs finished over
the time from the first delivery to the last run's end. After each row the data dir
is audited: every 202's run id has exactly one delivery and one run, and every run
succeeded (zero lost, zero duplicated).

Goal (issue 7): >= 1,000 accepted deliveries/s with HMAC and idempotency, zero lost.
Usage: python benchmarks/webhooks.py [--seconds 5] [--connections 32,64]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.server.headless import Headless, start_headless  # noqa: E402

SECRET = "bench-webhook-secret-0123456789"
PER_SECOND_CAP = 6000  # pre-signed deliveries per second of wrk time (more than it can send)


def document(name: str, webhook: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "triggers": [{"type": "webhook", "id": "hook", "config": webhook}],
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "record",
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "record",
                        "type": "SetVariableNode",
                        "config": {"variables": {"n": "{{inputs.body.n}}"}},
                    }
                ],
                "edges": [{"source": "record", "target": "__end__"}],
            },
        },
    }


LUA = """
local reqs = dofile("TABLE")
local i = 0
local out
function init(args)
  out = io.open("OUT", "w")
  out:setvbuf("line")
end
function request()
  i = i + 1
  local r = reqs[i]
  if r == nil then
    r = reqs[#reqs]  -- exhausted: a replay, answered 409 (counted as non-2xx)
  end
  return wrk.format("POST", "PATH", r[2], r[1])
end
function response(status, headers, body)
  if status == 202 then
    local id = string.match(body, '"execution_id":"(%w+)"')
    if id then out:write(id, "\\n") end
  end
end
"""


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def write_table(path: Path, count: int, signed: bool, tag: str) -> None:
    """``count`` deliveries as a Lua table of {body, headers}."""
    stamp = str(int(time.time()))
    key = SECRET.encode()
    lines = ["return {"]
    for n in range(count):
        body = f'{{"n":{n}}}'
        headers = {"Content-Type": "application/json"}
        if signed:
            digest = hmac.new(key, f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
            headers |= {
                "X-Orcheo-Timestamp": stamp,
                "X-Orcheo-Signature": "sha256=" + digest,
                "Idempotency-Key": f"{tag}-{n}",
            }
        fields = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        lines.append(f"{{{lua_string(body)}, {{{fields}}}}},")
    lines.append("}")
    path.write_text("\n".join(lines))


async def wrk(url: str, connections: int, seconds: float, script: Path | None) -> str:
    args = ["-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    if script is not None:
        args += ["-s", str(script)]
    proc = await asyncio.create_subprocess_exec(
        "wrk", *args, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    return out.decode()


def _requests(text: str) -> tuple[int, float]:
    line = next((ln for ln in text.splitlines() if "requests in" in ln), "")
    total = int(line.split()[0]) if line else 0
    seconds = float(line.split("in ")[1].split("s,")[0].rstrip("m")) if line else 1.0
    if line and "ms," in line:
        seconds /= 1000
    return total, seconds


def _at(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def audit(
    data: Path, workflow_id: str, acked: list[str], *, settle: bool, timeout: float = 900
) -> dict[str, Any]:
    """Check each 202 has one delivery and one run (after every run settled, if ``settle``)."""
    runs_db = sqlite3.connect(data / "orcheo.sqlite", timeout=30)
    hooks_db = sqlite3.connect(data / "triggers.sqlite", timeout=30)
    try:
        deadline = time.monotonic() + timeout
        while settle:
            open_runs = runs_db.execute(
                "SELECT COUNT(*) FROM runs WHERE workflow_id = ? AND status IN"
                " ('pending', 'running')",
                (workflow_id,),
            ).fetchone()[0]
            open_jobs = hooks_db.execute(
                "SELECT COUNT(*) FROM trigger_jobs WHERE workflow_id = ? AND status IN"
                " ('queued', 'retrying')",
                (workflow_id,),
            ).fetchone()[0]
            if not open_runs and not open_jobs:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"runs still open after {timeout:.0f}s")
            time.sleep(0.25)
        statuses = dict(
            runs_db.execute(
                "SELECT status, COUNT(*) FROM runs WHERE workflow_id = ? GROUP BY status",
                (workflow_id,),
            ).fetchall()
        )
        first, last = runs_db.execute(
            "SELECT MIN(created_at), MAX(finished_at) FROM runs WHERE workflow_id = ?",
            (workflow_id,),
        ).fetchone()
        delivered = [
            r[0]
            for r in hooks_db.execute(
                "SELECT run_id FROM trigger_deliveries WHERE workflow_id = ?", (workflow_id,)
            )
        ]
        run_ids = {
            r[0]
            for r in runs_db.execute("SELECT id FROM runs WHERE workflow_id = ?", (workflow_id,))
        }
    finally:
        runs_db.close()
        hooks_db.close()
    acked_set = set(acked)
    done = statuses.get("succeeded", 0)
    return {
        "acked": len(acked),
        "deliveries": len(delivered),
        "runs": sum(statuses.values()),
        "succeeded": done,
        "lost": len(acked_set - set(delivered)) + len(acked_set - run_ids),
        "duplicated": len(acked) - len(acked_set) + len(delivered) - len(set(delivered)),
        "runs_per_s": done / max(1e-9, _at(last) - _at(first)) if settle and first else None,
    }


PARKED = "import asyncio\nawait asyncio.sleep(3600)\nreturn 1"


async def phase(
    server: Headless,
    name: str,
    webhook: dict[str, Any],
    connections: int,
    seconds: float,
    work: Path,
    *,
    parked: bool = False,
) -> dict[str, Any]:
    """wrk against one new workflow's webhook; ``parked``: its runs wait (ingress alone)."""
    doc = document(name, webhook)
    if parked:  # one run starts and sleeps; the rest stay queued (pending)
        doc["graph"]["ir"]["nodes"] = [{"kind": "code", "id": "record", "body": PARKED}]
    client = httpx.Client(base_url=server.api, headers=server.headers, timeout=30)
    created = client.post("/workflows", json=doc)
    created.raise_for_status()
    workflow_id = created.json()["id"]
    policy = {"policy": {"max_concurrency": 1 if parked else 16, "max_attempts": 1}}
    client.put(f"/workflows/{workflow_id}/triggers", json=policy).raise_for_status()
    client.close()
    table, out, script = (work / f"{name}.{ext}" for ext in ("table.lua", "ids", "lua"))
    write_table(table, int(PER_SECOND_CAP * seconds), "hmac" in webhook, name)
    script.write_text(
        LUA.replace("TABLE", str(table))
        .replace("OUT", str(out))
        .replace("PATH", f"/orcheo/hooks/{created.json()['slug']}")
    )
    text = await wrk(f"{server.url}/orcheo/hooks/{workflow_id}", connections, seconds, script)
    _, elapsed = _requests(text)
    acked = [line for line in out.read_text().split() if line] if out.exists() else []
    report = audit(server.data_dir, workflow_id, acked, settle=not parked)
    report.update(
        name=name,
        connections=connections,
        accepted_per_s=len(acked) / elapsed,
        non_2xx=next((ln.strip() for ln in text.splitlines() if "Non-2xx" in ln), ""),
    )
    return report


ROWS = (
    ("open", {}, False),
    ("hmac+idem", {"hmac": {"secret": "[[bench_secret]]"}}, False),
    ("hmac parked", {"hmac": {"secret": "[[bench_secret]]"}}, True),
)


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="wrk time per row")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of all rows (medians are reported)"
    )
    parser.add_argument("--connections", default="32,64", help="wrk connections, e.g. 32,64")
    parser.add_argument(
        "--server-arg", action="append", default=[], help="extra jupyter orcheo argument"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = start_headless(work / "server", *args.server_arg)
        try:
            httpx.post(
                f"{server.api}/credentials",
                json={"name": "bench_secret", "value": SECRET},
                headers=server.headers,
            ).raise_for_status()
            # Rows run in rotation, so a load change on this shared machine hits all alike.
            for r in range(args.repeat):
                for c in (int(c) for c in args.connections.split(",")):
                    url = f"{server.url}/api"
                    total, elapsed = _requests(await wrk(url, c, args.seconds, None))
                    base = {"kind": "baseline", "connections": c, "accepted_per_s": total / elapsed}
                    rows.append(base)
                    for n, (kind, webhook, parked) in enumerate(ROWS):
                        name = f"r{r}c{c}x{n}"
                        row = await phase(
                            server, name, webhook, c, args.seconds, work, parked=parked
                        )
                        rows.append({**row, "kind": kind})
        finally:
            server.stop()
    report(rows)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def report(rows: list[dict[str, Any]]) -> None:
    """Medians per (row, connections) over the rounds; totals of the audits."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["kind"], r["connections"]), []).append(r)
    conns_list = sorted({r["connections"] for r in rows})
    rounds = len(groups[("baseline", conns_list[0])])
    print(
        f"webhook ingress: jupyter orcheo driven by wrk -t1 on {os.cpu_count()} CPUs, "
        f"medians of {rounds} round(s) (min-max)"
    )
    print(
        f"{'row':<12} {'conns':>5} {'accepted/s':>10} {'(min-max)':>11} {'x base':>6} "
        f"{'runs/s':>6} {'202s':>6} {'stored':>6} {'runs ok':>7} {'lost':>4} {'dup':>3}"
    )
    for conns in conns_list:
        base = _median([r["accepted_per_s"] for r in groups[("baseline", conns)]])
        for kind in ("baseline", *(k for k, _, _ in ROWS)):
            group = groups[(kind, conns)]
            rates = [r["accepted_per_s"] for r in group]
            med = _median(rates)
            spread = f"{min(rates):.0f}-{max(rates):.0f}"
            head = f"{kind:<12} {conns:>5} {med:>10.0f} {spread:>11} {med / base:>6.2f}"
            if kind == "baseline":
                print(head)
                continue
            speeds = [r["runs_per_s"] for r in group if r["runs_per_s"] is not None]
            runs = f"{_median(speeds):.0f}" if speeds else "-"
            ok = sum(r["succeeded"] for r in group) if speeds else "queued"
            print(
                f"{head} {runs:>6} {sum(r['acked'] for r in group):>6} "
                f"{sum(r['deliveries'] for r in group):>6} {ok:>7} "
                f"{sum(r['lost'] for r in group):>4} {sum(r['duplicated'] for r in group):>3}"
            )
    best = max(_median([r["accepted_per_s"] for r in groups[("hmac+idem", c)]]) for c in conns_list)
    lost = sum(r.get("lost", 0) for r in rows)
    dup = sum(r.get("duplicated", 0) for r in rows)
    met = best >= 1000 and lost == 0 and dup == 0
    print(
        f"\ngoal: >= 1,000 accepted/s with HMAC + idempotency while runs execute, zero lost: "
        f"median {best:.0f}/s, lost {lost}, duplicated {dup} -> {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
