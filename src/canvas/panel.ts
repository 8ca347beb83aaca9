/**
 * The property panel: what is selected, its settings (generated from the node's
 * config schema), its conditional routing, its problems and its last run.
 */

import { clone } from './doc';
import { DebugSession } from './debug';
import { debugSection, DebugPanelContext, pinButton } from './debugpanel';
import { CodeField, CodeFieldFactory, errorLine, textareaField } from './code';
import { configForm, FieldErrors, FormContext, h, remarkInvalid } from './form';
import { iconElement } from './icons';
import { TemplatePreviews } from './preview';
import { EdgeDef } from './elements';
import {
  NodeRun,
  PendingInterrupt,
  RunSnapshot,
  formatDuration,
  inputTarget,
  pausedAt,
  runStatusText,
  stateLabel
} from './overlay';
import { schemaForm } from './inputs';
import { routingEditor } from './routing';
import {
  END,
  START,
  CatalogEntry,
  CodeNode,
  DebugHost,
  Diff,
  IRNode,
  JSONObject,
  JSONValue,
  Problem,
  TriggerStatus,
  WorkflowDocument
} from './types';

export interface PanelContext {
  doc: WorkflowDocument;
  catalog: Map<string, CatalogEntry>;
  problems: Problem[];
  run: RunSnapshot | null;
  readOnly: boolean;
  credentials: () => Promise<string[]>;
  edit: (diffs: Diff[], label: string) => void;
  remove: (nodes: string[], edges: EdgeDef[]) => void;
  select: (nodeId: string) => void;
  /** The debug loop: breakpoints, tests, pins, previews. */
  debug: DebugSession;
  debugHost: DebugHost | null;
  canRun: boolean;
  /** Breakpoints changed: redraw their markers. */
  debugChanged: () => void;
  /** Draw the panel again soon. */
  redraw: () => void;
  /** Continue a run paused at a breakpoint; null where the host cannot. */
  continueRun: ((runId: string) => void) | null;
  /** Answer an interrupted run's question; null where the host cannot (the run viewer can). */
  answerRun?: ((runId: string, value: JSONValue) => void) | null;
  /** The code node editor the host supplies (CodeMirror); a text area otherwise. */
  codeField?: CodeFieldFactory;
  /** A trigger node's state on the server; absent where nothing serves triggers. */
  triggerStatus?: (nodeId: string) => Promise<TriggerStatus>;
}

/** The last answer per host and node: a redrawn panel shows it at once, then refreshes it. */
const lastTriggerStatus = new WeakMap<object, Map<string, TriggerStatus>>();

/** A trigger node's live state (webhook address, next fire), filled in when the host answers. */
function triggerSection(id: string, status: (nodeId: string) => Promise<TriggerStatus>): HTMLElement {
  const known = lastTriggerStatus.get(status) ?? new Map<string, TriggerStatus>();
  lastTriggerStatus.set(status, known);
  const body = h(
    'div',
    { class: 'oc-trigger-status', 'data-trigger-status': id },
    h('div', { class: 'oc-muted' }, 'Checking…')
  );
  const show = (found: TriggerStatus): void => {
    known.set(id, found);
    const rows = found.rows.map(row => {
      const value = h('code', { class: 'oc-trigger-value' }, row.value);
      const line = h(
        'div',
        { class: 'oc-trigger-row', 'data-label': row.label },
        h('span', { class: 'oc-label' }, row.label),
        value
      );
      if (row.copy) {
        const copy = h('button', { type: 'button', class: 'oc-small', 'data-action': 'copy-trigger-value' }, 'Copy');
        copy.addEventListener('click', () => {
          void navigator.clipboard?.writeText(row.value).then(
            () => (copy.textContent = 'Copied'),
            () => (copy.textContent = 'Select and copy it')
          );
        });
        line.append(copy);
      }
      return line;
    });
    body.replaceChildren(...rows, found.note ? h('div', { class: 'oc-help' }, found.note) : '');
  };
  const before = known.get(id);
  if (before) show(before);
  status(id).then(show, (err: unknown) =>
    body.replaceChildren(
      h('div', { class: 'oc-error-text' }, `Cannot read the trigger's state: ${(err as Error).message}`)
    )
  );
  return section('Trigger', body);
}

/**
 * The question an interrupted run waits on, with a form from its answer schema; the
 * answer goes to the host, and a refused one comes back as the same question with
 * the reason (the run asks again).
 */
function answerForm(
  runId: string,
  question: PendingInterrupt,
  answer: (runId: string, value: JSONValue) => void
): HTMLElement {
  const form = schemaForm(question.schema ?? null, {}, 'answer');
  const send = h(
    'button',
    { type: 'submit', class: 'oc-button oc-primary', 'data-action': 'answer-run' },
    iconElement('play'),
    'Send answer'
  );
  const box = h(
    'form',
    { class: 'oc-interrupt-form', 'data-node': question.node ?? '' },
    h('div', { class: 'oc-interrupt-prompt' }, question.prompt || 'The run waits for an answer.'),
    question.error ? h('div', { class: 'oc-error-text', role: 'alert' }, `Not accepted: ${question.error}`) : '',
    form.element,
    send
  );
  box.addEventListener('submit', ev => {
    ev.preventDefault();
    const { value, errors } = form.read();
    form.showErrors(errors);
    if (Object.keys(errors).length) return;
    send.disabled = true;
    answer(runId, value);
  });
  return box;
}

/** The code editor shown now: disposed when the panel is drawn again. */
let shownCode: CodeField | null = null;

function json(value: unknown): HTMLElement {
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? 'null';
  } catch {
    text = String(value);
  }
  if (text.length > 20000) text = text.slice(0, 20000) + '\n… (truncated)';
  return h('pre', { class: 'oc-json-view' }, text);
}

function section(title: string, ...children: (Node | string)[]): HTMLElement {
  return h('section', { class: 'oc-section' }, h('h4', {}, title), ...children);
}

function problemList(problems: Problem[], ctx: PanelContext, showNode: boolean): HTMLElement {
  const list = h('ul', { class: 'oc-problems' });
  for (const p of problems) {
    const text = `${showNode && p.node ? p.node + ': ' : ''}${p.field ? p.field + ': ' : ''}${p.message}`;
    const item = h('li', { class: `oc-problem oc-${p.severity}`, 'data-code': p.code }, text);
    if (showNode && p.node) {
      const node = p.node;
      item.classList.add('oc-link');
      item.addEventListener('click', () => ctx.select(node));
    }
    list.append(item);
  }
  return list;
}

function nodeProblems(problems: Problem[], ctx: PanelContext): HTMLElement {
  const s = section('Problems', problemList(problems, ctx, false));
  s.classList.add('oc-node-problems');
  return s;
}

/**
 * The shown node's problems updated in place while the user types in its panel (the
 * panel is not redrawn under the cursor, see the editor's renderPanel): the Problems
 * list and the errors at the fields follow the edit at once, instead of saying
 * "required field is missing" under the text just typed until the field is left (and
 * then the whole form jumping when the list goes).
 */
export function refreshProblems(el: HTMLElement, ctx: PanelContext): void {
  const box = el.querySelector<HTMLElement>(':scope > .oc-node-panel');
  const id = box?.dataset.nodeId;
  if (!box || id === undefined || box.dataset.problems === undefined) return;
  const problems = ctx.problems.filter(p => p.node === id);
  const key = JSON.stringify(problems);
  if (box.dataset.problems === key) return;
  box.dataset.problems = key;
  const old = box.querySelector<HTMLElement>(':scope > .oc-node-problems');
  if (!problems.length) old?.remove();
  else if (old) old.replaceWith(nodeProblems(problems, ctx));
  else box.querySelector(':scope > .oc-node-id')?.after(nodeProblems(problems, ctx));
  const form = box.querySelector<HTMLElement>('.oc-settings-form');
  if (form?.classList.contains('oc-fields')) remarkInvalid(form, fieldErrors(problems));
}

function warningList(messages: string[]): HTMLElement {
  const list = h('ul', { class: 'oc-problems oc-run-warnings' });
  for (const m of messages) list.append(h('li', { class: 'oc-problem oc-warning' }, m));
  return list;
}

function runSection(nodeRun: NodeRun, pin?: HTMLElement): HTMLElement {
  const warned = nodeRun.warnings?.length
    ? ` · ${nodeRun.warnings.length} warning${nodeRun.warnings.length === 1 ? '' : 's'}`
    : '';
  const s = section(
    'Last run',
    h(
      'div',
      {
        class: `oc-run-status oc-run-${nodeRun.status}${warned ? ' oc-run-warned' : ''}`,
        'data-run-status': nodeRun.status
      },
      `${stateLabel(nodeRun.status)}${nodeRun.attempt > 1 ? ` (attempt ${nodeRun.attempt})` : ''}${nodeRun.durationMs !== undefined ? ' · ' + formatDuration(nodeRun.durationMs) : ''}${warned}`
    )
  );
  if (nodeRun.warnings?.length) s.append(warningList(nodeRun.warnings));
  if (nodeRun.error) s.append(h('div', { class: 'oc-error-text' }, nodeRun.error));
  if (nodeRun.input) s.append(h('div', { class: 'oc-label' }, 'Input'), json(nodeRun.input));
  if (nodeRun.output !== undefined)
    s.append(h('div', { class: 'oc-label' }, 'Output'), h('div', { class: 'oc-node-output' }, json(nodeRun.output)));
  if (nodeRun.output !== undefined && nodeRun.status === 'succeeded' && pin) s.append(pin);
  return s;
}

/** Where the node's code went wrong: its last run's error, else a compile problem. */
function codeError(node: CodeNode, ctx: PanelContext): { line: number; message: string } | null {
  const nodeRun = ctx.run?.nodes[node.id];
  if (nodeRun?.status === 'failed' && nodeRun.error) {
    const line = nodeRun.line ?? errorLine(nodeRun.error);
    if (line) return { line, message: nodeRun.error.replace(/^node '[^']*' failed \(line \d+ of its code\): /, '') };
  }
  const problem = ctx.problems.find(p => p.node === node.id && p.field === 'body' && errorLine(p.message));
  return problem ? { line: errorLine(problem.message) as number, message: problem.message } : null;
}

function codeEditor(node: CodeNode, ctx: PanelContext): HTMLElement {
  // The user's code exactly as stored: no invented signature, lines numbered from 1.
  const field = (ctx.codeField ?? textareaField)({
    value: node.body,
    readOnly: ctx.readOnly,
    onChange: text => ctx.edit([{ op: 'update_node', id: node.id, fields: { body: text } }], 'edit code')
  });
  shownCode = field;
  const error = codeError(node, ctx);
  if (error) field.setError(error.line, error.message);
  const injected = h('input', { type: 'text', placeholder: 'field, other_field', 'data-field': 'injected' });
  injected.value = node.injected.join(', ');
  injected.disabled = ctx.readOnly;
  injected.addEventListener('change', () => {
    const names = injected.value
      .split(',')
      .map(s => s.trim())
      .filter(Boolean);
    ctx.edit([{ op: 'update_node', id: node.id, fields: { injected: names } }], 'edit injected fields');
  });
  const formCtx = formContext(ctx, node.id);
  const mapBox = configForm(
    { type: 'object', properties: { config: { type: 'object', title: 'Config values' } } },
    { config: node.config },
    formCtx,
    next => ctx.edit([{ op: 'set_config', id: node.id, config: (next.config ?? {}) as JSONObject }], 'edit config')
  );
  return h(
    'div',
    { class: 'oc-code-node' },
    h('label', { class: 'oc-label' }, 'Python code'),
    field.element,
    h(
      'div',
      { class: 'oc-help' },
      "The body of the node's function: state, config and self (its injected fields) are in scope. Return a value (stored under results.<node id>) or a dict of state updates."
    ),
    h('label', { class: 'oc-label' }, 'Injected config fields (self.<name>)'),
    injected,
    mapBox
  );
}

function formContext(ctx: PanelContext, self: string): FormContext {
  const ids = ctx.doc.graph.format === 'frozen-ir' ? ctx.doc.graph.ir.nodes.map(n => n.id) : [];
  const suggestions = [
    '{{ inputs }}',
    ...ids
      .filter(id => id !== self)
      .slice(0, 60)
      .map(id => `{{ results.${id} }}`)
  ];
  return { root: {}, readOnly: ctx.readOnly, credentials: ctx.credentials, suggestions };
}

/** The node's config problems by top-level key ("config.items[0].x" -> "items"; "config" -> ""). */
function fieldErrors(problems: Problem[]): FieldErrors {
  const out: FieldErrors = {};
  for (const p of problems) {
    if (!p.field || (p.field !== 'config' && !p.field.startsWith('config.'))) continue;
    const rest = p.field.slice('config.'.length);
    const key = p.field === 'config' ? '' : rest.split(/[.[]/)[0];
    const deeper = p.field !== 'config' && rest !== key ? `${rest}: ` : '';
    (out[key] = out[key] ?? []).push(`${deeper}${p.message}`);
  }
  return out;
}

function settings(node: IRNode, ctx: PanelContext): HTMLElement {
  if (node.kind === 'code') return codeEditor(node, ctx);
  if (node.kind === 'subgraph') {
    return h(
      'div',
      { class: 'oc-muted' },
      `Nested graph with ${node.graph.nodes.length} nodes (edit it in Python or JSON).`
    );
  }
  const entry = ctx.catalog.get(node.type);
  const formCtx = formContext(ctx, node.id);
  if (!entry) {
    const box = h(
      'div',
      {},
      h('div', { class: 'oc-error-text' }, `Unknown node type ${node.type}: editing raw config.`)
    );
    box.append(
      configForm(
        { type: 'object', properties: { config: { title: 'config' } } },
        { config: node.config },
        formCtx,
        next => ctx.edit([{ op: 'set_config', id: node.id, config: (next.config ?? {}) as JSONObject }], 'edit config')
      )
    );
    return box;
  }
  formCtx.root = entry.config_schema;
  const errors = fieldErrors(ctx.problems.filter(p => p.node === node.id));
  return configForm(
    entry.config_schema,
    node.config ?? {},
    formCtx,
    next => ctx.edit([{ op: 'set_config', id: node.id, config: next }], 'edit config'),
    errors
  );
}

function advanced(node: IRNode, ctx: PanelContext): HTMLElement {
  const timeout = h('input', { type: 'text', inputmode: 'decimal', placeholder: 'none', 'data-field': 'timeout' });
  timeout.value = node.timeout ? String(node.timeout) : '';
  timeout.disabled = ctx.readOnly;
  timeout.addEventListener('change', () => {
    const v = Number(timeout.value);
    ctx.edit(
      [{ op: 'update_node', id: node.id, fields: { timeout: timeout.value.trim() && v > 0 ? v : null } }],
      'set timeout'
    );
  });
  const attempts = h('input', {
    type: 'text',
    inputmode: 'numeric',
    placeholder: '1 (no retry)',
    'data-field': 'retry.max_attempts'
  });
  attempts.value = node.retry?.max_attempts ? String(node.retry.max_attempts) : '';
  attempts.disabled = ctx.readOnly;
  attempts.addEventListener('change', () => {
    const n = Math.floor(Number(attempts.value));
    const retry = attempts.value.trim() && n > 1 ? { ...(node.retry ?? {}), max_attempts: n } : null;
    ctx.edit([{ op: 'update_node', id: node.id, fields: { retry } }], 'set retry');
  });
  return section(
    'Execution',
    h('label', { class: 'oc-label' }, 'Timeout (seconds per attempt)'),
    timeout,
    h('label', { class: 'oc-label' }, 'Attempts (retry on failure)'),
    attempts
  );
}

function nodePanel(id: string, ctx: PanelContext): HTMLElement {
  const box = h('div', { class: 'oc-node-panel', 'data-node-id': id });
  const nodeRun = ctx.run?.nodes[id];
  const problems = ctx.problems.filter(p => p.node === id);
  if (id === START || id === END) {
    box.append(
      h('h3', {}, id === START ? 'Start' : 'End'),
      h(
        'div',
        { class: 'oc-muted' },
        id === START ? 'Drag from start to the first node.' : 'Connect the last nodes here.'
      )
    );
    return box;
  }
  if (ctx.doc.graph.format !== 'frozen-ir') {
    box.append(
      h('h3', {}, id),
      h('div', { class: 'oc-muted' }, 'Node of a LangGraph script (read-only; edit it as code).')
    );
    if (nodeRun) box.append(runSection(nodeRun));
    // A script's node is tested alone and paused at like a drawn one (on its input in a
    // run); it has no config to pin or preview.
    const debug = debugSection(id, { ...debugContext(ctx), readOnly: true }, null);
    if (debug) box.append(debug);
    return box;
  }
  const ir = ctx.doc.graph.ir;
  const node = ir.nodes.find(n => n.id === id);
  if (!node) return box;
  const entry = node.kind === 'builtin' ? ctx.catalog.get(node.type) : undefined;
  const idInput = h('input', { type: 'text', class: 'oc-node-id', 'data-field': 'id' });
  idInput.value = node.id;
  idInput.disabled = ctx.readOnly;
  idInput.addEventListener('change', () => {
    const next = idInput.value.trim();
    if (next && next !== node.id) ctx.edit([{ op: 'rename_node', id: node.id, new_id: next }], 'rename node');
  });
  box.append(
    h('h3', {}, node.kind === 'builtin' ? node.type : node.kind === 'code' ? 'Python code' : 'Subgraph'),
    entry?.description ? h('div', { class: 'oc-help' }, entry.description) : '',
    h('label', { class: 'oc-label' }, 'Node id'),
    idInput
  );
  box.dataset.problems = JSON.stringify(problems);
  if (problems.length) box.append(nodeProblems(problems, ctx));
  if (entry?.trigger && ctx.triggerStatus) box.append(triggerSection(id, ctx.triggerStatus));
  const pinned = !!ctx.doc.pinned && id in ctx.doc.pinned;
  if (nodeRun) {
    const pin =
      !ctx.readOnly && !pinned && nodeRun.output !== undefined
        ? pinButton(id, nodeRun.output as JSONValue, ctx)
        : undefined;
    box.append(runSection(nodeRun, pin));
  }
  const form = settings(node, ctx);
  form.classList.add('oc-settings-form');
  const host = ctx.debugHost;
  const previews =
    host && node.kind !== 'subgraph'
      ? new TemplatePreviews(
          form,
          (v, field) => {
            const at = inputTarget(ctx.run, id, ctx.debug.runId);
            return host.preview(clone(ctx.doc), id, v, at.runId, false, field, at.runNode);
          },
          index => (ctx.debug.lastField = index >= 0 ? { node: id, index } : null)
        )
      : null;
  const debug = debugSection(id, debugContext(ctx), previews);
  if (debug) box.append(debug);
  box.append(section('Settings', form));
  void previews?.all();
  const targets = ir.nodes.map(n => n.id);
  const cond = ir.conditional_edges.find(c => c.source === id);
  box.append(
    section(
      'Conditional routing',
      routingEditor(id, cond, targets, ctx.readOnly, edge =>
        ctx.edit([{ op: 'set_conditional_edge', source: id, edge }], edge ? 'edit routing' : 'remove routing')
      )
    )
  );
  box.append(advanced(node, ctx));
  if (!ctx.readOnly) {
    const del = h('button', { type: 'button', class: 'oc-danger', 'data-action': 'delete-node' }, 'Delete node');
    del.addEventListener('click', () => ctx.remove([id], []));
    box.append(del);
  }
  return box;
}

function debugContext(ctx: PanelContext): DebugPanelContext {
  return {
    doc: ctx.doc,
    run: ctx.run,
    readOnly: ctx.readOnly,
    session: ctx.debug,
    host: ctx.debugHost,
    canRun: ctx.canRun,
    edit: ctx.edit,
    changed: ctx.debugChanged,
    redraw: ctx.redraw
  };
}

function edgePanel(edge: EdgeDef, ctx: PanelContext): HTMLElement {
  const kinds: Record<string, string> = {
    plain: 'Edge',
    route: `Route "${edge.label}"`,
    default: 'Default route',
    implicit: 'Entry point'
  };
  const box = h(
    'div',
    { class: 'oc-edge-panel' },
    h('h3', {}, kinds[edge.kind]),
    h('div', {}, `${edge.source} → ${edge.target}`)
  );
  if (!ctx.readOnly && ctx.doc.graph.format === 'frozen-ir') {
    const del = h('button', { type: 'button', class: 'oc-danger', 'data-action': 'delete-edge' }, 'Delete');
    del.addEventListener('click', () => ctx.remove([], [edge]));
    box.append(del);
    if (edge.kind === 'route' || edge.kind === 'default') {
      const ir = ctx.doc.graph.ir;
      const cond = ir.conditional_edges.find(c => c.source === edge.source);
      box.append(
        section(
          'Conditional routing',
          routingEditor(
            edge.source,
            cond,
            ir.nodes.map(n => n.id),
            false,
            next => ctx.edit([{ op: 'set_conditional_edge', source: edge.source, edge: next }], 'edit routing')
          )
        )
      );
    }
  }
  return box;
}

/** Name and description, editable where the document is. */
function identity(ctx: PanelContext): HTMLElement[] {
  const doc = ctx.doc;
  if (ctx.readOnly) {
    const shown: HTMLElement[] = [h('h3', {}, doc.name)];
    if (doc.description) shown.push(h('div', { class: 'oc-help' }, doc.description));
    return shown;
  }
  const name = h('input', { type: 'text', class: 'oc-doc-name', 'data-field': 'name', 'aria-label': 'Workflow name' });
  name.value = doc.name;
  name.addEventListener('change', () => {
    const next = name.value.trim();
    if (!next) {
      name.value = doc.name;
      return;
    }
    if (next !== doc.name) ctx.edit([{ op: 'set_meta', name: next }], 'rename workflow');
  });
  const description = h('textarea', {
    class: 'oc-doc-description',
    rows: '2',
    'data-field': 'description',
    placeholder: 'What this workflow does',
    'aria-label': 'Description'
  });
  description.value = doc.description ?? '';
  description.addEventListener('change', () => {
    if (description.value !== (doc.description ?? ''))
      ctx.edit([{ op: 'set_meta', description: description.value }], 'edit description');
  });
  return [
    h('label', { class: 'oc-label' }, 'Name'),
    name,
    h('label', { class: 'oc-label' }, 'Description'),
    description
  ];
}

function summary(ctx: PanelContext): HTMLElement {
  const doc = ctx.doc;
  const count = doc.graph.format === 'frozen-ir' ? doc.graph.ir.nodes.length : (doc.graph.index?.nodes?.length ?? 0);
  const box = h('div', { class: 'oc-summary' }, ...identity(ctx), h('div', { class: 'oc-muted' }, `${count} nodes`));
  if (doc.graph.format !== 'frozen-ir') {
    box.append(
      h('div', { class: 'oc-banner' }, 'LangGraph script: the canvas shows its structure read-only. Edit it as code.')
    );
  }
  if (ctx.run) {
    const r = ctx.run;
    const runBox = section(
      'Run',
      h(
        'div',
        {
          class: `oc-run-status oc-run-${r.status}${r.warnings.length ? ' oc-run-warned' : ''}`,
          'data-run-status': r.status
        },
        `${r.id ? r.id.slice(0, 8) + ' · ' : ''}${runStatusText(r)}`
      ),
      r.error ? h('div', { class: 'oc-error-text' }, r.error) : ''
    );
    if (r.warnings.length)
      runBox.append(warningList(r.warnings.map(w => (w.node ? `${w.node}: ${w.message}` : w.message))));
    const paused = pausedAt(r);
    if (paused) {
      runBox.append(
        h('div', { class: 'oc-help' }, `Paused ${paused} at a breakpoint: the run viewer shows the state there.`)
      );
      const id = r.id;
      if (ctx.continueRun && id) {
        const go = h(
          'button',
          { type: 'button', class: 'oc-button oc-primary', 'data-action': 'continue-run' },
          iconElement('play'),
          'Continue'
        );
        go.addEventListener('click', () => {
          go.disabled = true;
          ctx.continueRun?.(id);
        });
        runBox.append(go);
      }
    } else if (r.status === 'interrupted' && r.id && ctx.answerRun && r.interrupts.length)
      runBox.append(answerForm(r.id, r.interrupts[0], ctx.answerRun));
    else if (r.status === 'interrupted')
      runBox.append(h('div', { class: 'oc-help' }, 'The run waits for an answer: open the run viewer to give it.'));
    box.append(runBox);
  }
  if (ctx.problems.length)
    box.append(section(`Problems (${ctx.problems.length})`, problemList(ctx.problems, ctx, true)));
  else box.append(h('div', { class: 'oc-ok' }, 'No problems found.'));
  box.append(
    h(
      'div',
      { class: 'oc-help' },
      // A read-only graph (run viewer, langgraph-script) must not teach edits it refuses.
      ctx.readOnly
        ? 'Read-only view: click a node (or walk the graph with the arrow keys) to see what it received and returned; ? lists every key.'
        : 'Double-click or drag a node from the palette to add it; drag from the output port of a node to another node, or select two and press C, to connect; Delete removes the selection; Ctrl+Z / Ctrl+Y undo and redo; ? lists every key.'
    )
  );
  return box;
}

export function renderPanel(el: HTMLElement, ctx: PanelContext, nodes: string[], edges: EdgeDef[]): void {
  shownCode?.dispose();
  shownCode = null;
  el.replaceChildren();
  if (nodes.length === 1 && edges.length === 0) el.append(nodePanel(nodes[0], ctx));
  else if (nodes.length === 0 && edges.length === 1) el.append(edgePanel(edges[0], ctx));
  else if (nodes.length + edges.length > 1) {
    const box = h('div', {}, h('h3', {}, `${nodes.length} nodes, ${edges.length} edges selected`));
    if (!ctx.readOnly) {
      const del = h(
        'button',
        { type: 'button', class: 'oc-danger', 'data-action': 'delete-selection' },
        'Delete selection'
      );
      del.addEventListener('click', () => ctx.remove(nodes, edges));
      box.append(del);
    }
    el.append(box);
  } else el.append(summary(ctx));
}
