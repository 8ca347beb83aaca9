/**
 * The canvas's debug session: breakpoints, the run nodes are tested on, and each
 * node's last test. It lives beside the document, not in it (a breakpoint is about
 * this sitting, not the workflow), and survives the panel being redrawn.
 */

import { DebugError, DebugHost, NodeTestResult, Problem, RunChoice, RunOptions, TemplatePreview } from './types';

/** What the panel shows for a node's last test. */
export type TestOutcome =
  { kind: 'result'; result: NodeTestResult } | { kind: 'refused'; message: string; problems: Problem[] };

export type BreakWhen = 'before' | 'after';

export class DebugSession {
  readonly breakBefore = new Set<string>();
  readonly breakAfter = new Set<string>();
  /** The run nodes are tested and previewed on; null: the latest run that reached each node. */
  runId: string | null = null;
  /** Nodes whose state tree is open (it stays open when the panel is redrawn). */
  readonly treeOpen = new Set<string>();
  /** The template field last edited: its node and place among the form's text fields. */
  lastField: { node: string; index: number } | null = null;
  private readonly outcomes = new Map<string, TestOutcome>();
  private readonly states = new Map<string, Promise<TemplatePreview>>();
  private runList: Promise<RunChoice[]> | null = null;

  constructor(readonly host: DebugHost | null) {}

  hasBreak(node: string, when: BreakWhen): boolean {
    return (when === 'before' ? this.breakBefore : this.breakAfter).has(node);
  }

  toggleBreak(node: string, when: BreakWhen): boolean {
    const set = when === 'before' ? this.breakBefore : this.breakAfter;
    if (set.has(node)) set.delete(node);
    else set.add(node);
    return set.has(node);
  }

  /** The breakpoints a run started now pauses at (only nodes that still exist). */
  runOptions(nodes: string[]): RunOptions {
    const known = new Set(nodes);
    return {
      break_before: [...this.breakBefore].filter(n => known.has(n)),
      break_after: [...this.breakAfter].filter(n => known.has(n))
    };
  }

  outcome(node: string): TestOutcome | undefined {
    return this.outcomes.get(node);
  }

  record(node: string, outcome: TestOutcome): void {
    this.outcomes.set(node, outcome);
  }

  /** A node renamed or removed takes its breakpoints and last test with it. */
  rename(from: string, to: string | null): void {
    for (const set of [this.breakBefore, this.breakAfter]) {
      if (!set.delete(from)) continue;
      if (to) set.add(to);
    }
    if (this.treeOpen.delete(from) && to) this.treeOpen.add(to);
    if (this.lastField?.node === from) this.lastField = to ? { ...this.lastField, node: to } : null;
    const outcome = this.outcomes.get(from);
    this.outcomes.delete(from);
    if (outcome && to) this.outcomes.set(to, outcome);
  }

  /** Recent runs (asked once per panel showing; ``fresh`` asks again, e.g. after a run). */
  runs(list: () => Promise<RunChoice[]>, fresh = false): Promise<RunChoice[]> {
    if (!this.runList || fresh) {
      this.runList = list().catch(() => {
        this.runList = null;
        return [];
      });
    }
    return this.runList;
  }

  /** A node's input state in the chosen run (asked once until a new run starts). */
  state(node: string, load: () => Promise<TemplatePreview>): Promise<TemplatePreview> {
    const key = `${node}\u0000${this.runId ?? ''}`;
    let found = this.states.get(key);
    if (!found) {
      found = load();
      found.catch(() => this.states.delete(key));
      this.states.set(key, found);
    }
    return found;
  }

  /**
   * A run started: the run list and "the latest run that reached a node" change, and
   * a test refused for want of a run ("run the workflow first") no longer holds.
   * ``tests``: forget every node's last test too (a run started from this canvas: its
   * LAST RUN section shows the node as now configured, the older test would contradict it).
   */
  forgetRuns(tests = false): void {
    this.runList = null;
    this.states.clear();
    for (const [node, outcome] of [...this.outcomes]) {
      if (tests || outcome.kind === 'refused') this.outcomes.delete(node);
    }
  }
}

/** A failure as the panel shows it: the message and, for a refused document, its problems. */
export function refusal(err: unknown): { message: string; problems: Problem[] } {
  if (err instanceof DebugError) return { message: err.message, problems: err.problems };
  return { message: err instanceof Error ? err.message : String(err), problems: [] };
}
