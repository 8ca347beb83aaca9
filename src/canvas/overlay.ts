/**
 * The live run overlay: per-node state, duration, input and output, folded from
 * the run's ordered events (replaying the same events gives the same picture).
 */

import { RunEvent } from './types';

export interface NodeRun {
  status: string;
  attempt: number;
  startedAt?: string;
  durationMs?: number;
  output?: unknown;
  error?: string;
  /** The line of a code node's body the error names (as its editor numbers it). */
  line?: number;
  /** The results the node could see: outputs of nodes finished before it started. */
  input?: { inputs: unknown; results: Record<string, unknown> };
  /** What went wrong without failing the node (e.g. a template left unresolved). */
  warnings?: string[];
  /** The run stopped at a breakpoint before or after this node. */
  paused?: 'before' | 'after';
}

/** A question the run waits on (a HumanInputNode's interrupt). */
export interface PendingInterrupt {
  id?: string;
  node?: string;
  prompt?: string;
  schema?: Record<string, unknown>;
  attempt?: number;
  error?: string | null;
  value: unknown;
  /** A breakpoint pause (not a question): where the run stopped. */
  breakpoint?: { before: string[]; after: string[] };
}

export interface RunWarning {
  node: string | null;
  message: string;
}

export interface RunSnapshot {
  id: string | null;
  status: string;
  error?: string;
  lastSeq: number;
  nodes: Record<string, NodeRun>;
  inputs?: unknown;
  startedAt?: string;
  finishedAt?: string;
  /** Warnings of the run (node and message), in the order they happened. */
  warnings: RunWarning[];
  /** The questions the run waits on while interrupted. */
  interrupts: PendingInterrupt[];
  /** A fork from a step: the run it was forked from. */
  forkedFrom?: string;
  /** Nodes renamed since the run: current id → the id the run knew (where its input is). */
  formerIds?: Record<string, string>;
}

export function emptyRun(id: string | null = null): RunSnapshot {
  return { id, status: 'pending', lastSeq: 0, nodes: {}, warnings: [], interrupts: [] };
}

/**
 * A node renamed after (or during) a run keeps what the run did: its state, output and
 * warnings move to the new id (a subgraph's inner nodes with it), so the canvas does not
 * call the node it just ran "not reached".
 */
export function renameInRun(run: RunSnapshot, from: string, to: string): void {
  const moved = (id: string): string =>
    id === from ? to : id.startsWith(`${from}/`) ? to + id.slice(from.length) : id;
  const former: Record<string, string> = {};
  for (const [id, was] of Object.entries(run.formerIds ?? {})) former[moved(id)] = was;
  // Only a node the run knew has an input in it to look up; renamed back, it needs none.
  const was = run.formerIds?.[from] ?? (from in run.nodes ? from : undefined);
  if (was !== undefined && was !== to) former[to] = was;
  else delete former[to];
  run.formerIds = former;
  const nodes: Record<string, NodeRun> = {};
  for (const [id, n] of Object.entries(run.nodes)) nodes[moved(id)] = n;
  run.nodes = nodes;
  for (const w of run.warnings) if (w.node) w.node = moved(w.node);
  for (const q of run.interrupts) {
    if (q.node) q.node = moved(q.node);
    if (q.breakpoint) q.breakpoint = { before: q.breakpoint.before.map(moved), after: q.breakpoint.after.map(moved) };
  }
}

/**
 * Where a node's input is looked up for a test or a preview: with no run chosen, or the
 * run the canvas shows chosen, a node renamed since that run is looked up there under
 * the id it had then (the canvas shows that run's output for it); otherwise as chosen.
 */
export function inputTarget(
  run: RunSnapshot | null,
  node: string,
  chosen: string | null
): { runId: string | null; runNode?: string } {
  const was = run?.formerIds?.[node];
  if (was !== undefined && run?.id && (chosen === null || chosen === run.id)) return { runId: run.id, runNode: was };
  return { runId: chosen };
}

/** How a node or run state reads to a person ("interrupted" waits on someone). */
export function stateLabel(status: string): string {
  if (status === 'interrupted') return 'waiting for input';
  if (status === 'paused') return 'paused at a breakpoint';
  return status === 'carried' ? 'carried over' : status;
}

/** Where a run paused at a breakpoint ("before fetch"), or null when it waits on a person. */
export function pausedAt(run: RunSnapshot): string | null {
  if (run.status !== 'interrupted') return null;
  const stops = run.interrupts.filter(q => q.breakpoint);
  if (!stops.length || stops.length !== run.interrupts.length) return null;
  const parts: string[] = [];
  for (const q of stops) {
    if (q.breakpoint?.before.length) parts.push(`before ${q.breakpoint.before.join(', ')}`);
    if (q.breakpoint?.after.length) parts.push(`after ${q.breakpoint.after.join(', ')}`);
  }
  return parts.join('; ') || 'at a breakpoint';
}

/** The run's status with its warnings: "succeeded with 1 warning". */
export function runStatusText(run: RunSnapshot): string {
  const n = run.warnings.length;
  const paused = pausedAt(run);
  const base = paused ? `paused ${paused}` : stateLabel(run.status);
  return n ? `${base} with ${n} warning${n === 1 ? '' : 's'}` : base;
}

function interruptsOf(data: Record<string, unknown>): PendingInterrupt[] {
  const list = Array.isArray(data.interrupts) ? (data.interrupts as { id?: unknown; value?: unknown }[]) : [];
  return list.map(item => {
    const v = (item?.value ?? null) as Record<string, unknown> | null;
    const asked = v && typeof v === 'object' && !Array.isArray(v) ? v : null;
    if (asked?.type === 'breakpoint') {
      const names = (x: unknown): string[] => (Array.isArray(x) ? x.map(String) : []);
      return {
        id: typeof item?.id === 'string' ? item.id : undefined,
        value: item?.value,
        breakpoint: { before: names(asked.before), after: names(asked.after) }
      };
    }
    return {
      id: typeof item?.id === 'string' ? item.id : undefined,
      node: typeof asked?.node === 'string' ? asked.node : undefined,
      prompt: typeof asked?.prompt === 'string' ? asked.prompt : asked ? undefined : String(item?.value ?? ''),
      schema: asked?.schema && typeof asked.schema === 'object' ? (asked.schema as Record<string, unknown>) : undefined,
      attempt: typeof asked?.attempt === 'number' ? asked.attempt : undefined,
      error: typeof asked?.error === 'string' ? asked.error : null,
      value: item?.value
    };
  });
}

/** Fold one event into the snapshot; events at or below ``lastSeq`` are ignored. */
export function foldEvent(run: RunSnapshot, ev: RunEvent): boolean {
  if (ev.seq <= run.lastSeq) return false;
  if (ev.run_id && run.id && ev.run_id !== run.id) return false;
  run.lastSeq = ev.seq;
  if (ev.run_id && !run.id) run.id = ev.run_id;
  const data = ev.data ?? {};
  const node = ev.node ?? undefined;
  const results = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [id, n] of Object.entries(run.nodes)) if (n.status === 'succeeded') out[id] = n.output;
    return out;
  };
  switch (ev.type) {
    case 'run_started': {
      run.status = 'running';
      run.inputs = data.inputs;
      run.startedAt = ev.at;
      // A fork starts from a step of another run: the results it has from there are carried
      // over (those nodes do not run in this run, yet they were reached).
      const fork = data.forked_from as { run_id?: unknown; carried?: unknown } | undefined;
      if (fork && typeof fork === 'object') {
        if (typeof fork.run_id === 'string') run.forkedFrom = fork.run_id;
        for (const id of Array.isArray(fork.carried) ? fork.carried.map(String) : [])
          run.nodes[id] = { status: 'carried', attempt: 1 };
      }
      break;
    }
    case 'resumed':
      run.status = 'running';
      run.interrupts = [];
      for (const [id, n] of Object.entries(run.nodes)) {
        if (n.status === 'paused')
          delete run.nodes[id]; // it starts now
        else delete n.paused;
      }
      break;
    case 'template_unresolved': {
      const templates = Array.isArray(data.templates) ? data.templates.map(String) : [];
      const message = `unresolved template${templates.length === 1 ? '' : 's'} ${templates.join(', ')} (left as text)`;
      run.warnings.push({ node: node ?? null, message });
      if (node) {
        const n = run.nodes[node] ?? { status: 'running', attempt: 1 };
        n.warnings = [...(n.warnings ?? []), message];
        run.nodes[node] = n;
      }
      break;
    }
    case 'node_started':
      if (node) {
        run.nodes[node] = {
          status: 'running',
          attempt: Number(data.attempt ?? 1),
          startedAt: ev.at,
          input: { inputs: run.inputs ?? {}, results: results() },
          // A node re-run after an answer keeps what it warned about before.
          warnings: run.nodes[node]?.warnings
        };
      }
      break;
    case 'node_retrying':
      if (node) {
        const n = run.nodes[node] ?? { status: 'retrying', attempt: 1 };
        n.status = 'retrying';
        n.attempt = Number(data.attempt ?? n.attempt);
        n.error = String(data.error ?? '');
        run.nodes[node] = n;
      }
      break;
    case 'node_finished':
      if (node) {
        const n = run.nodes[node] ?? { status: 'succeeded', attempt: 1 };
        n.status = 'succeeded';
        n.output = data.output;
        n.durationMs = Number(data.duration_ms ?? 0);
        n.error = undefined;
        run.nodes[node] = n;
      }
      break;
    case 'node_failed':
      if (node) {
        const n = run.nodes[node] ?? { status: 'failed', attempt: 1 };
        n.status = 'failed';
        n.error = String(data.error ?? 'failed');
        n.line = typeof data.line === 'number' ? data.line : undefined;
        n.durationMs = data.duration_ms === undefined ? n.durationMs : Number(data.duration_ms);
        run.nodes[node] = n;
      }
      break;
    case 'interrupted': {
      run.status = 'interrupted';
      run.interrupts = interruptsOf(data);
      for (const n of Object.values(run.nodes)) if (n.status === 'running') n.status = 'interrupted';
      for (const q of run.interrupts) {
        // A breakpoint: the node it stopped before has not started; the one after has finished.
        for (const id of q.breakpoint?.before ?? [])
          run.nodes[id] = { ...(run.nodes[id] ?? { attempt: 1 }), status: 'paused', paused: 'before' };
        for (const id of q.breakpoint?.after ?? [])
          run.nodes[id] = { ...(run.nodes[id] ?? { status: 'succeeded', attempt: 1 }), paused: 'after' };
        if (!q.node) continue;
        const n = run.nodes[q.node] ?? { status: 'interrupted', attempt: 1 };
        n.status = 'interrupted';
        run.nodes[q.node] = n;
      }
      break;
    }
    case 'run_finished':
      run.status = 'succeeded';
      run.finishedAt = ev.at;
      break;
    case 'run_failed':
      run.status = 'failed';
      run.error = String(data.error ?? '');
      run.finishedAt = ev.at;
      for (const n of Object.values(run.nodes)) if (n.status === 'running') n.status = 'failed';
      break;
    case 'run_cancelled':
      run.status = 'cancelled';
      run.finishedAt = ev.at;
      break;
    default:
      break;
  }
  return true;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}
