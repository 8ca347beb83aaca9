/**
 * A run stopped at a breakpoint: where it stopped, the state there, and Continue.
 * A breakpoint asks nothing, so it gets no answer form; Continue resumes without a value.
 */

import { h } from '../canvas/form';
import { PendingInterrupt } from '../canvas/overlay';
import { OrcheoApi } from './api';
import { continueRun } from './debugapi';

export interface Breakpoint {
  /** "before" or "after". */
  when: 'before' | 'after';
  nodes: string[];
  next: string[];
  state: unknown;
}

/** The breakpoint a pending interrupt stands for, or null for a question that needs an answer. */
export function breakpointOf(q: PendingInterrupt | undefined): Breakpoint | null {
  const v = q?.value as Record<string, unknown> | null | undefined;
  if (!q || q.id !== 'breakpoint' || !v || typeof v !== 'object' || v.type !== 'breakpoint') return null;
  const list = (x: unknown): string[] => (Array.isArray(x) ? x.map(String) : []);
  const before = list(v.before);
  const after = list(v.after);
  const next = list(v.next);
  return before.length || !after.length
    ? { when: 'before', nodes: before.length ? before : next, next, state: v.state }
    : { when: 'after', nodes: after, next, state: v.state };
}

/** "Paused before c" — what the status line says instead of "waiting for input". */
export function pausedText(b: Breakpoint): string {
  return `Paused ${b.when} ${b.nodes.join(', ') || 'a node'}`;
}

/** The pause box: heading, what runs next, the state, and Continue. */
export function pauseView(api: OrcheoApi, runId: string, b: Breakpoint): HTMLElement {
  const status = h('div', { class: 'oc-muted', role: 'status' });
  const go = h(
    'button',
    { type: 'button', class: 'jp-mod-styled jp-mod-accept', 'data-action': 'continue' },
    'Continue'
  );
  go.addEventListener('click', async () => {
    go.disabled = true;
    status.textContent = 'Continuing…';
    try {
      await continueRun(api, runId);
      status.textContent = 'The run continues.';
    } catch (err) {
      go.disabled = false;
      status.textContent = `Cannot continue: ${(err as Error).message}`;
    }
  });
  return h(
    'div',
    { class: 'oc-breakpoint', 'data-breakpoint': b.when, 'data-node': b.nodes.join(',') },
    h('h3', {}, pausedText(b)),
    b.next.length ? h('div', { class: 'oc-muted' }, `Runs next: ${b.next.join(', ')}`) : '',
    h('strong', {}, 'State'),
    h('pre', { class: 'oc-breakpoint-state', 'data-breakpoint-state': '' }, JSON.stringify(b.state, null, 2) ?? 'null'),
    go,
    status
  );
}
