/**
 * "Fork from a step" in the run viewer: pick one of the run's checkpoints, edit the
 * state stored there as JSON, and start a new run from it (LangGraph time travel).
 * Only the keys the person changed are sent, so values the JSON view cannot carry
 * faithfully (LangChain messages) stay as stored unless edited.
 */

import { h } from '../canvas/form';
import { OrcheoApi } from './api';
import { checkpoint, CheckpointSummary, checkpoints, fork } from './debugapi';

/** JSON with object keys sorted: two values are equal when these strings are. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        )
      : v
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The state patch that turns ``original`` into ``edited`` (changed and added keys),
 * or the reason it cannot: the run's reducers merge, so a key (or a node's result)
 * cannot be taken away by a fork.
 */
export function statePatch(
  original: Record<string, unknown>,
  text: string
): { patch: Record<string, unknown> } | { error: string } {
  let edited: unknown;
  try {
    edited = JSON.parse(text);
  } catch (err) {
    return { error: `Invalid JSON: ${(err as Error).message}` };
  }
  if (!isObject(edited)) {
    return {
      error: `The state must be a JSON object ({...}), not ${Array.isArray(edited) ? 'an array' : edited === null ? 'null' : typeof edited}.`
    };
  }
  const removed = Object.keys(original).filter(k => !(k in edited));
  if (removed.length) {
    return {
      error: `A fork cannot remove state keys (${removed.map(k => JSON.stringify(k)).join(', ')}): set them to null instead.`
    };
  }
  const before = isObject(original.results) ? original.results : {};
  if (isObject(edited.results)) {
    const gone = Object.keys(before).filter(k => !(k in (edited.results as Record<string, unknown>)));
    if (gone.length) {
      return {
        error: `Results merge by node id, so results of ${gone.map(k => JSON.stringify(k)).join(', ')} cannot be removed: set them to null instead.`
      };
    }
  }
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(edited)) {
    if (!(key in original) || stable(original[key]) !== stable(value)) patch[key] = value;
  }
  return { patch };
}

/** A step the panel offers (never the end of a run: nothing is left to run from there). */
function stepLabel(c: CheckpointSummary): string {
  // LangGraph numbers the inputs' checkpoint -1: a user reads "Step -1" as a bug.
  if (c.next.includes('__start__')) return 'The start · its inputs';
  const step = c.step === null ? '?' : String(c.step);
  return `Step ${step} · before ${c.next.join(', ')}`;
}

export class ForkPanel {
  readonly element = h('details', { class: 'oc-fork', 'data-fork': '' });
  private readonly list = h('ul', { class: 'oc-fork-steps' });
  private readonly editor = h('div', { class: 'oc-fork-editor', hidden: '' });
  private readonly status = h('div', { class: 'oc-muted', role: 'status' });

  constructor(
    private readonly api: OrcheoApi,
    private readonly runId: string,
    /** The new run's id, once started (the viewer follows it). */
    private readonly forked: (runId: string) => void
  ) {
    const refresh = h(
      'button',
      { type: 'button', class: 'jp-mod-styled', 'data-action': 'refresh-steps' },
      'Refresh steps'
    );
    refresh.addEventListener('click', () => void this.load());
    this.element.append(
      h('summary', {}, 'Fork from a step'),
      h(
        'div',
        { class: 'oc-muted' },
        'Pick a step, edit the state the run had there, and start a new run from it. This run is not changed.'
      ),
      h(
        'div',
        { class: 'oc-muted' },
        'Runs started by hand store every step. Runs started by a trigger may store fast steps together (ORCHEO_DURABILITY=sync stores them all).'
      ),
      refresh,
      this.list,
      this.editor,
      this.status
    );
    this.element.addEventListener('toggle', () => {
      if ((this.element as HTMLDetailsElement).open) void this.load();
    });
  }

  async load(): Promise<void> {
    this.status.textContent = 'Loading steps…';
    let items: CheckpointSummary[];
    try {
      items = await checkpoints(this.api, this.runId);
    } catch (err) {
      this.status.textContent = `Cannot list the run's steps: ${(err as Error).message}`;
      return;
    }
    // At the end of a run nothing is left to run: a fork from there would do nothing.
    const steps = items.filter(c => c.next.length > 0);
    this.status.textContent = steps.length
      ? ''
      : items.length
        ? 'Only the end of this run is stored, and nothing is left to run from there. Start the run by hand to fork from each of its steps.'
        : 'This run has no stored steps to fork from.';
    this.list.replaceChildren();
    for (const c of [...steps].reverse()) {
      const button = h(
        'button',
        { type: 'button', class: 'oc-fork-step', 'data-checkpoint-id': c.checkpoint_id, 'data-next': c.next.join(',') },
        stepLabel(c)
      );
      button.addEventListener('click', () => void this.pick(c, button));
      this.list.append(h('li', {}, button));
    }
  }

  private async pick(c: CheckpointSummary, button: HTMLElement): Promise<void> {
    for (const b of this.list.querySelectorAll('.oc-fork-step')) b.classList.toggle('jp-mod-selected', b === button);
    this.status.textContent = 'Loading the state…';
    let values: Record<string, unknown>;
    try {
      values = (await checkpoint(this.api, this.runId, c.checkpoint_id)).values;
    } catch (err) {
      this.status.textContent = `Cannot load this step: ${(err as Error).message}`;
      return;
    }
    this.status.textContent = '';
    const text = h('textarea', { class: 'oc-fork-state', 'data-fork-state': '', spellcheck: 'false', rows: '14' });
    text.value = JSON.stringify(values, null, 2);
    const error = h('div', { class: 'oc-error-text', role: 'alert', 'data-fork-error': '' });
    const go = h('button', { type: 'button', class: 'jp-mod-styled jp-mod-accept', 'data-action': 'fork' }, 'Fork run');
    text.addEventListener('input', () => (error.textContent = ''));
    go.addEventListener('click', async () => {
      const result = statePatch(values, text.value);
      if ('error' in result) {
        error.textContent = result.error;
        return;
      }
      error.textContent = '';
      go.disabled = true;
      this.status.textContent = 'Starting the new run…';
      try {
        const id = await fork(this.api, this.runId, c.checkpoint_id, result.patch);
        this.status.textContent = `Forked as run ${id.slice(0, 8)}.`;
        this.forked(id);
      } catch (err) {
        this.status.textContent = '';
        error.textContent = `The server refused the fork: ${(err as Error).message}`;
      } finally {
        go.disabled = false;
      }
    });
    this.editor.hidden = false;
    this.editor.replaceChildren(h('strong', {}, `State at ${stepLabel(c).toLowerCase()}`), text, error, go);
  }
}
