/**
 * The property panel's "Test & debug" section of a node: the run to test on, the
 * Test node button and its output or error, pins (from an output or typed JSON),
 * breakpoints, and the tree of the state the node received.
 */

import { clone } from './doc';
import { BreakWhen, DebugSession, refusal, TestOutcome } from './debug';
import { h } from './form';
import { iconElement } from './icons';
import { inputTarget, RunSnapshot } from './overlay';
import { TemplatePreviews } from './preview';
import { insertTemplate, stateTree } from './statetree';
import { DebugHost, Diff, JSONValue, RunChoice, WorkflowDocument } from './types';

export interface DebugPanelContext {
  doc: WorkflowDocument;
  /** The run the canvas shows (a node renamed since is looked up there under its old id). */
  run: RunSnapshot | null;
  readOnly: boolean;
  session: DebugSession;
  /** Null where nothing can be tested (the host offers no debug loop). */
  host: DebugHost | null;
  /** Whether runs can be started here (breakpoints mean nothing otherwise). */
  canRun: boolean;
  edit: (diffs: Diff[], label: string) => void;
  /** Breakpoints changed: redraw the markers on the graph. */
  changed: () => void;
  /** Draw the panel again (the chosen run changed, a test answered after a redraw). */
  redraw: () => void;
}

function jsonView(value: unknown, cls: string): HTMLElement {
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? 'null';
  } catch {
    text = String(value);
  }
  if (text.length > 20000) text = text.slice(0, 20000) + '\n… (truncated)';
  return h('pre', { class: `oc-json-view ${cls}` }, text);
}

function shortTime(at: string | null | undefined): string {
  if (!at) return '';
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

function runLabel(run: RunChoice): string {
  const when = shortTime(run.at);
  return `${run.id.slice(0, 8)} · ${run.status}${when ? ' · ' + when : ''}`;
}

/** Pin ``output`` as the node's output (runs by hand and tests use it instead of running it). */
export function pinButton(
  id: string,
  output: JSONValue,
  ctx: { edit: DebugPanelContext['edit'] },
  label = 'Pin this output'
): HTMLElement {
  const pin = h(
    'button',
    {
      type: 'button',
      class: 'oc-button',
      'data-action': 'pin-output',
      title: 'Runs started by hand and node tests use this output instead of running the node'
    },
    iconElement('pin'),
    label
  );
  pin.addEventListener('click', () => ctx.edit([{ op: 'set_pin', id, output: clone(output) }], `pin ${id}`));
  return pin;
}

function outcomeView(id: string, outcome: TestOutcome, ctx: DebugPanelContext): HTMLElement[] {
  if (outcome.kind === 'refused') {
    const box = h('div', { class: 'oc-test-error', role: 'alert', 'data-node': id }, h('div', {}, outcome.message));
    if (outcome.problems.length) {
      const list = h('ul', { class: 'oc-problems' });
      for (const p of outcome.problems) {
        const where = [p.node, p.field].filter(Boolean).join(' · ');
        list.append(
          h('li', { class: `oc-problem oc-${p.severity ?? 'error'}` }, `${where ? where + ': ' : ''}${p.message}`)
        );
      }
      box.append(list);
    }
    return [box];
  }
  const r = outcome.result;
  const source = r.state_source;
  const from = source?.run_id
    ? ` · on run ${source.run_id.slice(0, 8)}`
    : source?.kind === 'given'
      ? ' · on a given state'
      : source?.kind === 'inputs'
        ? ' · on the state a run starts with (no run yet)'
        : '';
  const took = `${r.duration_ms < 1 ? r.duration_ms.toFixed(2) : Math.round(r.duration_ms)} ms`;
  if (r.error !== null) {
    return [
      h('div', { class: 'oc-run-status oc-run-failed' }, iconElement('x-mark'), ` failed · ${took}${from}`),
      h('div', { class: 'oc-test-error', role: 'alert', 'data-node': r.node }, h('strong', {}, r.node), `: ${r.error}`)
    ];
  }
  const out: HTMLElement[] = [
    h(
      'div',
      { class: 'oc-run-status oc-run-succeeded' },
      iconElement('check'),
      ` succeeded · ${took}${r.pinned ? ' · pinned output' : ''}${from}`
    ),
    h('div', { class: 'oc-label' }, 'Output'),
    jsonView(r.output, 'oc-test-output')
  ];
  const pinned = ctx.doc.pinned && id in ctx.doc.pinned;
  if (!ctx.readOnly && !r.pinned && !pinned) out.push(pinButton(id, r.output, ctx));
  return out;
}

function pinSection(id: string, ctx: DebugPanelContext): HTMLElement {
  const box = h('div', { class: 'oc-pin' });
  const pinned = ctx.doc.pinned && id in ctx.doc.pinned ? ctx.doc.pinned[id] : undefined;
  if (pinned !== undefined) {
    box.append(
      h(
        'div',
        { class: 'oc-label oc-pinned-label' },
        iconElement('pin'),
        ' Pinned output (used instead of running the node by hand-started runs and tests)'
      ),
      jsonView(pinned, 'oc-pinned-output')
    );
    if (!ctx.readOnly) {
      const unpin = h('button', { type: 'button', class: 'oc-button', 'data-action': 'unpin' }, 'Unpin');
      unpin.addEventListener('click', () => ctx.edit([{ op: 'remove_pin', id }], `unpin ${id}`));
      box.append(unpin);
    }
  }
  if (ctx.readOnly) return box;
  const area = h('textarea', {
    class: 'oc-pin-input oc-json',
    rows: '3',
    spellcheck: 'false',
    placeholder: '{"key": "value"}',
    'aria-label': 'Output to pin (JSON)'
  });
  if (pinned !== undefined) area.value = JSON.stringify(pinned, null, 2);
  const error = h('div', { class: 'oc-field-error', role: 'alert', hidden: '' });
  const pin = h(
    'button',
    { type: 'button', class: 'oc-button', 'data-action': 'pin-json' },
    pinned === undefined ? 'Pin JSON' : 'Pin edited JSON'
  );
  pin.addEventListener('click', () => {
    let value: JSONValue;
    try {
      value = JSON.parse(area.value) as JSONValue;
    } catch (err) {
      error.textContent = `Output to pin: not valid JSON (${(err as Error).message}); expected a JSON value such as {"key": "value"}`;
      error.hidden = false;
      area.classList.add('oc-invalid');
      return;
    }
    error.hidden = true;
    area.classList.remove('oc-invalid');
    ctx.edit([{ op: 'set_pin', id, output: value }], `pin ${id}`);
  });
  box.append(
    h(
      'details',
      { class: 'oc-pin-json' },
      h('summary', {}, pinned === undefined ? 'Pin typed JSON' : 'Edit the pinned JSON'),
      area,
      error,
      pin
    )
  );
  return box;
}

function breakButton(id: string, when: BreakWhen, ctx: DebugPanelContext): HTMLElement {
  const on = (): boolean => ctx.session.hasBreak(id, when);
  const label = (): (HTMLElement | string)[] => [iconElement(on() ? 'dot' : 'ring'), ` Break ${when}`];
  const btn = h(
    'button',
    {
      type: 'button',
      class: 'oc-button oc-break-toggle',
      'data-action': `break-${when}`,
      'aria-pressed': String(on()),
      title: `Runs started here pause ${when} this node`
    },
    ...label()
  );
  btn.addEventListener('click', () => {
    ctx.session.toggleBreak(id, when);
    btn.setAttribute('aria-pressed', String(on()));
    btn.replaceChildren(...label());
    ctx.changed();
  });
  return btn;
}

function runSelector(ctx: DebugPanelContext, host: DebugHost): HTMLElement {
  const select = h('select', { class: 'oc-debug-run', 'data-field': 'debug-run', 'aria-label': 'Run to test on' });
  const latest = h('option', { value: '' }, 'Latest run that reached this node');
  select.append(latest);
  const chosen = ctx.session.runId;
  if (chosen) select.append(h('option', { value: chosen }, chosen.slice(0, 8)));
  select.value = chosen ?? '';
  void ctx.session
    .runs(() => host.runs(clone(ctx.doc)))
    .then(runs => {
      if (!select.isConnected) return;
      const keep = select.value;
      select.replaceChildren(latest);
      for (const run of runs) select.append(h('option', { value: run.id }, runLabel(run)));
      if (keep && !runs.some(r => r.id === keep)) select.append(h('option', { value: keep }, keep.slice(0, 8)));
      select.value = keep;
    });
  select.addEventListener('change', () => {
    ctx.session.runId = select.value || null;
    ctx.redraw();
  });
  return select;
}

function treeSection(
  id: string,
  ctx: DebugPanelContext,
  host: DebugHost,
  previews: TemplatePreviews | null
): HTMLElement {
  const summary = h('summary', {}, 'State this node received (click a key to insert its path)');
  // Opening the tree keeps the cursor where it is in the field being edited.
  summary.addEventListener('mousedown', ev => ev.preventDefault());
  const details = h('details', { class: 'oc-state-tree' }, summary);
  const body = h('div', { class: 'oc-state-tree-holder' });
  const note = h('div', { class: 'oc-help' });
  details.append(note, body);
  const pick = (path: string): void => {
    const last = ctx.session.lastField;
    const field = previews && last?.node === id ? previews.fields()[last.index] : undefined;
    if (field && field.isConnected && !field.disabled) insertTemplate(field, path);
    else note.textContent = `Click into a setting first, then on a key: {{ ${path} }} goes where the cursor is.`;
  };
  const load = (): void => {
    body.replaceChildren(h('div', { class: 'oc-muted' }, 'Loading…'));
    ctx.session
      .state(id, () => {
        const at = inputTarget(ctx.run, id, ctx.session.runId);
        return host.preview(clone(ctx.doc), id, null, at.runId, true, null, at.runNode);
      })
      .then(
        res => {
          const src = res.state_source?.run_id
            ? `Run ${res.state_source.run_id.slice(0, 8)}.`
            : res.state_source?.kind === 'inputs'
              ? 'The state a run starts with (no run yet).'
              : '';
          note.textContent = `${src} Click a key to insert its {{ path }} into the field you were editing.`;
          body.replaceChildren(stateTree(res.state ?? {}, pick));
        },
        err => body.replaceChildren(h('div', { class: 'oc-error-text' }, refusal(err).message))
      );
  };
  details.addEventListener('toggle', () => {
    if (details.open) {
      ctx.session.treeOpen.add(id);
      load();
    } else ctx.session.treeOpen.delete(id);
  });
  if (ctx.session.treeOpen.has(id)) details.open = true; // fires toggle: loads
  return details;
}

/** The section, or null when this host can neither test nor run. */
export function debugSection(
  id: string,
  ctx: DebugPanelContext,
  previews: TemplatePreviews | null
): HTMLElement | null {
  const host = ctx.host;
  if (!host && !ctx.canRun) return null;
  const box = h('section', { class: 'oc-section oc-debug', 'data-debug-node': id }, h('h4', {}, 'Test & debug'));
  const buttons = h('div', { class: 'oc-debug-buttons' });
  const result = h('div', { class: 'oc-test-result', 'aria-live': 'polite' });
  if (host) {
    box.append(h('label', { class: 'oc-label' }, 'Run to test on'), runSelector(ctx, host));
    const test = h(
      'button',
      {
        type: 'button',
        class: 'oc-button oc-primary',
        'data-action': 'test-node',
        title: 'Run this node alone on the state it received in the chosen run (nothing is stored)'
      },
      iconElement('play'),
      'Test node'
    );
    test.addEventListener('click', () => {
      // aria-disabled, not disabled: a disabled button drops the keyboard focus to the page.
      if (test.getAttribute('aria-disabled') === 'true') return;
      test.setAttribute('aria-disabled', 'true');
      result.dataset.testStatus = 'running';
      result.replaceChildren(h('div', { class: 'oc-muted' }, 'Testing…'));
      const at = inputTarget(ctx.run, id, ctx.session.runId);
      host
        .testNode(clone(ctx.doc), id, at.runId, at.runNode)
        .then(
          r => ctx.session.record(id, { kind: 'result', result: r }),
          err => ctx.session.record(id, { kind: 'refused', ...refusal(err) })
        )
        .finally(() => {
          test.removeAttribute('aria-disabled');
          if (result.isConnected) draw();
          else ctx.redraw();
        });
    });
    buttons.append(test);
  }
  if (ctx.canRun) buttons.append(breakButton(id, 'before', ctx), breakButton(id, 'after', ctx));
  box.append(buttons, result);
  const draw = (): void => {
    const outcome = ctx.session.outcome(id);
    if (!outcome) return;
    result.dataset.testStatus =
      outcome.kind === 'refused' ? 'refused' : outcome.result.error === null ? 'succeeded' : 'failed';
    result.replaceChildren(...outcomeView(id, outcome, ctx));
  };
  draw();
  box.append(pinSection(id, ctx));
  if (host) box.append(treeSection(id, ctx, host, previews));
  return box;
}
