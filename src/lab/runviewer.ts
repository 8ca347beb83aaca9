/**
 * The run viewer: follows one run over the WebSocket (replay, then live) and
 * shows a timeline of node durations, each node's output, the workflow's graph
 * with the run overlay, and the raw event log.
 */

import { Widget } from '@lumino/widgets';
// Type only: the editor (cytoscape, dagre) is a chunk loaded when the first graph is shown.
import type { CanvasEditor } from '../canvas/editor';
import { h } from '../canvas/form';
import { schemaForm } from '../canvas/inputs';
import {
  emptyRun,
  foldEvent,
  formatDuration,
  PendingInterrupt,
  RunSnapshot,
  runStatusText,
  stateLabel
} from '../canvas/overlay';
import { RunEvent } from '../canvas/types';
import { OrcheoApi } from './api';
import { ForkPanel } from './fork';
import { debugButton } from './notebookdebug';
import { breakpointOf, pausedText, pauseView } from './pause';
import { traceTab } from './trace';
import { durationLabelPlace } from './bars';
import { when } from './storedversion';

/** What the viewer can hand to the rest of Lab (absent: the matching buttons are not shown). */
export interface RunTools {
  /** Follow another run (a fork just started). */
  openRun?(id: string): void;
  /** Debug one node of this run in a notebook. */
  debugNode?(runId: string, node: string): Promise<void>;
}

interface Span {
  node: string;
  start: number;
  end: number | null;
  status: string;
}

export class RunViewer extends Widget {
  private readonly run: RunSnapshot;
  private readonly events: RunEvent[] = [];
  private readonly spans = new Map<string, Span>();
  private t0: number | null = null;
  private selected: string | null = null;
  /** A fork's ``final_state.results``: where its carried nodes' outputs are. */
  private carriedResults: Record<string, unknown> | null = null;
  private stop: (() => void) | null = null;
  private timer = 0;
  private canvas: CanvasEditor | null = null;
  private readonly header = h('div', { class: 'oc-run-header' });
  private readonly answerBox = h('div', { class: 'oc-interrupt', hidden: '' });
  /** The interrupt the answer form was drawn for (redrawn only when it changes). */
  private asked: string | null = null;
  private workflowName: string | null = null;
  private info: Record<string, unknown> | null = null;
  private loadError: string | null = null;
  private readonly gantt = h('div', { class: 'oc-gantt', 'data-gantt': '' });
  private readonly detail = h('div', { class: 'oc-run-output' });
  private readonly graph = h('div', { class: 'oc-run-graph' });
  private readonly log = h('div', { class: 'oc-event-log' });
  private readonly fork: ForkPanel | null;

  constructor(
    private readonly api: OrcheoApi,
    readonly runId: string,
    /** Called once the workflow's name is known (the tab shows it). */
    private readonly named: (name: string) => void = () => undefined,
    private readonly tools: RunTools = {}
  ) {
    super();
    this.id = `orcheo-run-${runId}`;
    this.addClass('jp-OrcheoRunViewer');
    this.node.setAttribute('data-run-id', runId);
    this.title.label = `Run ${runId.slice(0, 8)}`;
    this.title.closable = true;
    this.run = emptyRun(runId);
    const openRun = tools.openRun;
    this.fork = openRun ? new ForkPanel(api, runId, openRun) : null;
    this.node.append(
      this.header,
      this.answerBox,
      h('h3', {}, 'Timeline'),
      this.gantt,
      this.detail,
      this.fork?.element ?? '',
      h('h3', {}, 'Graph'),
      this.graph,
      h('details', {}, h('summary', {}, 'Events'), this.log),
      traceTab(this.api, runId)
    );
    void this.start();
  }

  private async start(): Promise<void> {
    this.drawHeader();
    let info: Record<string, unknown>;
    try {
      info = await this.api.execution(this.runId);
      this.run.status = String(info.status ?? this.run.status);
      if (info.error) this.run.error = String(info.error);
    } catch (err) {
      // No such run: say so, and do not wait for events that will never come.
      this.loadError = `Cannot load run ${this.runId}: ${(err as Error).message}`;
      this.node.setAttribute('data-run-status', 'unknown');
      this.drawHeader();
      return;
    }
    this.info = info;
    this.drawHeader();
    this.stop = this.api.follow(
      this.runId,
      ev => this.onEvent(ev),
      () => this.drawHeader()
    );
    this.timer = window.setInterval(() => this.drawGantt(), 250);
    if (typeof info.workflow_id === 'string') {
      void this.api
        .workflow(info.workflow_id)
        .then(w => {
          this.workflowName = w.name;
          this.named(w.name);
          this.drawHeader();
        })
        .catch(() => undefined);
      void this.showGraph(info.workflow_id, Number(info.version ?? 0));
    }
  }

  private async showGraph(workflowId: string, version: number): Promise<void> {
    try {
      const doc = version
        ? await this.api.version(workflowId, version)
        : (await this.api.workflow(workflowId)).document;
      if (!doc) return;
      const [catalog, { CanvasEditor }] = await Promise.all([this.api.nodes(), import('../canvas/editor')]);
      const root = document.createElement('div');
      this.graph.replaceChildren(root);
      this.canvas = new CanvasEditor(
        root,
        { apply: async () => undefined, credentials: async () => [] },
        doc,
        catalog,
        { readOnly: true, height: '380px' }
      );
      this.canvas.setRun(this.events);
    } catch {
      this.graph.replaceChildren(h('div', { class: 'oc-muted' }, 'The workflow of this run is not available.'));
    }
  }

  private onEvent(ev: RunEvent): void {
    const event = { ...ev, run_id: ev.run_id ?? this.runId };
    if (!foldEvent(this.run, event)) return;
    this.events.push(event);
    const at = Date.parse(ev.at);
    if (ev.type === 'run_started' || this.t0 === null) this.t0 = this.t0 ?? at;
    if (ev.type === 'interrupted') {
      // The asking node waits (its bar stops growing) until someone answers.
      for (const span of this.spans.values()) {
        if (span.end === null) {
          span.end = at;
          span.status = 'interrupted';
        }
      }
      for (const q of this.run.interrupts) {
        const span = q.node ? this.spans.get(q.node) : undefined;
        if (span) span.status = 'interrupted';
      }
    } else if (ev.node && ev.type === 'node_started') {
      this.spans.set(ev.node, { node: ev.node, start: at, end: null, status: 'running' });
    } else if (ev.node && (ev.type === 'node_finished' || ev.type === 'node_failed')) {
      const span = this.spans.get(ev.node) ?? { node: ev.node, start: at, end: null, status: 'running' };
      const dur = Number(ev.data.duration_ms);
      span.end = Number.isFinite(dur) ? Math.max(span.start + dur, span.start) : at;
      span.status = ev.type === 'node_finished' ? 'succeeded' : 'failed';
      this.spans.set(ev.node, span);
    } else if (ev.node && ev.type === 'node_retrying') {
      const span = this.spans.get(ev.node);
      if (span) span.status = 'retrying';
    }
    this.log.append(h('div', {}, `#${ev.seq} ${ev.at} ${ev.type}${ev.node ? ' ' + ev.node : ''}`));
    this.canvas?.runEvent(event);
    this.drawHeader();
    this.drawGantt();
    if (this.selected === ev.node) this.drawDetail();
  }

  private drawHeader(): void {
    const r = this.run;
    const info = this.info;
    if (this.loadError) {
      this.header.replaceChildren(
        h('h2', {}, `Run ${this.runId}`),
        h('div', { class: 'oc-error-text', role: 'alert' }, this.loadError)
      );
      return;
    }
    this.node.setAttribute('data-run-status', r.status);
    if (r.warnings.length) this.node.setAttribute('data-run-warnings', String(r.warnings.length));
    const workflow = info?.workflow_id ? String(info.workflow_id) : '';
    const title = this.workflowName ?? workflow;
    const warnings = h('ul', { class: 'oc-problems oc-run-warnings' });
    const paused = r.status === 'interrupted' ? breakpointOf(r.interrupts[0]) : null;
    const failed = r.status === 'failed' ? Object.keys(r.nodes).find(n => r.nodes[n].status === 'failed') : undefined;
    for (const w of r.warnings)
      warnings.append(h('li', { class: 'oc-problem oc-warning' }, w.node ? `${w.node}: ${w.message}` : w.message));
    this.header.replaceChildren(
      h('h2', {}, title ? `${title} · run ${this.runId.slice(0, 8)}` : `Run ${this.runId}`),
      h(
        'div',
        { class: 'oc-run-statusline' },
        'Status: ',
        h(
          'span',
          {
            class: `oc-state oc-state-${r.status}${r.warnings.length ? ' oc-state-warned' : ''}`,
            'data-status': r.status
          },
          paused ? pausedText(paused) : runStatusText(r)
        )
      ),
      failed ? this.debugButton(failed, `Debug ${failed} in notebook`) : '',
      r.warnings.length ? warnings : '',
      workflow
        ? h(
            'div',
            { class: 'oc-muted' },
            `Workflow: ${title}${title !== workflow ? ` (${workflow})` : ''}${info?.version ? `, version ${String(info.version)}` : ''}`
          )
        : '',
      h('div', { class: 'oc-muted' }, `Run id: ${this.runId}`),
      this.parentLine(),
      r.startedAt ? h('div', { title: r.startedAt }, `Started: ${when(r.startedAt)}`) : '',
      r.finishedAt ? h('div', { title: r.finishedAt }, `Finished: ${when(r.finishedAt)}`) : '',
      r.error ? h('div', { class: 'oc-error-text' }, r.error) : ''
    );
    this.drawAnswer();
  }

  /** While the run waits on a question: its prompt and a form from its schema; submit resumes. */
  private drawAnswer(): void {
    const q: PendingInterrupt | undefined = this.run.status === 'interrupted' ? this.run.interrupts[0] : undefined;
    if (!q) {
      this.asked = null;
      this.answerBox.hidden = true;
      this.answerBox.replaceChildren();
      return;
    }
    const key = `${this.run.lastSeq}:${q.id ?? ''}`;
    if (this.asked !== null && this.answerBox.dataset.key === key) return;
    this.asked = key;
    this.answerBox.dataset.key = key;
    this.answerBox.hidden = false;
    if (q.node) this.answerBox.setAttribute('data-node', q.node);
    const paused = breakpointOf(q);
    if (paused) {
      this.answerBox.replaceChildren(pauseView(this.api, this.runId, paused));
      return;
    }
    const schema = q.schema && Object.keys(q.schema).length ? q.schema : null;
    const form = schemaForm(schema ?? { title: 'Answer', description: 'Text, or JSON for a number, list or object.' });
    const status = h('div', { class: 'oc-muted', role: 'status' });
    const submit = h(
      'button',
      { type: 'submit', class: 'jp-mod-styled jp-mod-accept', 'data-action': 'answer' },
      'Send answer'
    );
    const el = h('form', { class: 'oc-interrupt-form' }, form.element, submit, status);
    el.addEventListener('submit', async ev => {
      ev.preventDefault();
      const { value, errors } = form.read();
      form.showErrors(errors);
      if (Object.keys(errors).length) return;
      submit.disabled = true;
      status.textContent = 'Sending…';
      try {
        await this.api.resume(this.runId, value);
        status.textContent = 'Answer sent; the run continues.';
      } catch (err) {
        submit.disabled = false;
        status.textContent = '';
        form.showErrors({ '': (err as Error).message });
      }
    });
    this.answerBox.replaceChildren(
      h('h3', {}, `${q.node ?? 'The run'} is waiting for input`),
      q.prompt ? h('div', { class: 'oc-interrupt-prompt' }, q.prompt) : '',
      q.error ? h('div', { class: 'oc-error-text' }, `The last answer was not accepted: ${q.error}`) : '',
      el
    );
  }

  private drawGantt(): void {
    const spans = [...this.spans.values()];
    const carried = this.carriedNodes();
    if (!spans.length && !carried.length) {
      this.gantt.replaceChildren(h('div', { class: 'oc-muted' }, 'No node has run yet.'));
      return;
    }
    this.gantt.replaceChildren(...carried.map(node => this.carriedRow(node)));
    if (!spans.length) return;
    const now = Date.now();
    const t0 = Math.min(this.t0 ?? spans[0].start, ...spans.map(s => s.start));
    const ends = spans.map(s => s.end ?? (this.run.finishedAt ? Date.parse(this.run.finishedAt) : now));
    const total = Math.max(1, Math.max(...ends) - t0);
    if (this.timer && this.run.finishedAt && spans.every(s => s.end !== null)) {
      window.clearInterval(this.timer);
      this.timer = 0;
    }
    spans.forEach((s, i) => {
      const end = ends[i];
      const left = ((s.start - t0) / total) * 100;
      const width = Math.max(((end - s.start) / total) * 100, 0.3);
      const dur = this.run.nodes[s.node]?.durationMs ?? end - s.start;
      const waiting = s.status === 'interrupted';
      const bar = h('div', {
        class: `oc-gantt-bar oc-${s.status}`,
        style: `left:${left}%;width:${width}%`,
        title: `${s.node}: ${waiting ? stateLabel(s.status) : formatDuration(dur)}`
      });
      const label = h(
        'span',
        { class: 'oc-gantt-dur', style: durationLabelPlace(left, width) },
        waiting ? stateLabel(s.status) : formatDuration(dur)
      );
      const warned = this.run.nodes[s.node]?.warnings?.length ?? 0;
      const row = h(
        'div',
        {
          class: `oc-gantt-row${warned ? ' oc-warned' : ''}`,
          'data-node': s.node,
          'data-status': s.status,
          ...(warned ? { 'data-warnings': String(warned) } : {})
        },
        h('div', { class: 'oc-gantt-label' }, s.node),
        h('div', { class: 'oc-gantt-track' }, bar, label)
      );
      this.selectable(row, s.node);
      this.gantt.append(row);
    });
  }

  /** A fork's nodes whose results came from the run it was forked from, in graph order. */
  private carriedNodes(): string[] {
    return Object.entries(this.run.nodes)
      .filter(([, n]) => n.status === 'carried')
      .map(([id]) => id);
  }

  /** A carried node's row: no bar (it did not run here), greyed, before the nodes that ran. */
  private carriedRow(node: string): HTMLElement {
    const source = this.run.forkedFrom ? ` from run ${this.run.forkedFrom.slice(0, 8)}` : '';
    const row = h(
      'div',
      {
        class: 'oc-gantt-row oc-carried',
        'data-node': node,
        'data-status': 'carried',
        title: `${node}: result carried over${source}`
      },
      h('div', { class: 'oc-gantt-label' }, node),
      h('div', { class: 'oc-gantt-track' }, h('span', { class: 'oc-gantt-dur' }, `carried over${source}`))
    );
    this.selectable(row, node);
    return row;
  }

  private selectable(row: HTMLElement, node: string): void {
    if (node === this.selected) row.classList.add('jp-mod-selected');
    row.addEventListener('click', () => {
      this.selected = node;
      this.drawGantt();
      this.drawDetail();
    });
  }

  /** The results a fork started with, read from the run's state (once it has one). */
  private async carriedOutput(node: string): Promise<void> {
    if (this.carriedResults === null) {
      const info = await this.api.execution(this.runId).catch(() => null);
      const state = info?.final_state as { results?: unknown } | null | undefined;
      const results = state?.results;
      if (!results || typeof results !== 'object') return; // still running: asked again on the next click
      this.carriedResults = results as Record<string, unknown>;
    }
    if (this.selected === node && node in this.carriedResults) this.drawDetail();
  }

  private drawDetail(): void {
    const id = this.selected;
    const n = id ? this.run.nodes[id] : undefined;
    if (!id || !n) {
      this.detail.replaceChildren();
      return;
    }
    const pre = (v: unknown): HTMLElement => h('pre', {}, JSON.stringify(v, null, 2) ?? 'null');
    if (n.status === 'carried') {
      const results = this.carriedResults;
      if (!results || !(id in results)) void this.carriedOutput(id);
      const source = this.run.forkedFrom ? `run ${this.run.forkedFrom.slice(0, 8)}` : 'the run it was forked from';
      this.detail.replaceChildren(
        h('h3', {}, `${id} · ${stateLabel(n.status)}`),
        h(
          'div',
          { class: 'oc-muted' },
          `Not run in this run: its result was carried over from ${source}, at the step this run started from.`
        ),
        results && id in results
          ? h('div', { 'data-node-output': id }, h('strong', {}, 'Output'), pre(results[id]))
          : ''
      );
      return;
    }
    this.detail.replaceChildren(
      h(
        'h3',
        {},
        `${id} · ${stateLabel(n.status)}${n.durationMs !== undefined ? ' · ' + formatDuration(n.durationMs) : ''}`
      ),
      n.error ? h('div', { class: 'oc-error-text' }, n.error) : '',
      ...(n.warnings ?? []).map(w => h('div', { class: 'oc-warning-text' }, `⚠ ${w}`)),
      n.output !== undefined ? h('div', { 'data-node-output': id }, h('strong', {}, 'Output'), pre(n.output)) : '',
      this.debugButton(id, 'Debug in notebook')
    );
  }

  /** "Forked from run X" (or "Re-run of run X"), with a way to open that run. */
  private parentLine(): HTMLElement | string {
    const parent = this.info?.parent_run_id;
    if (typeof parent !== 'string') return '';
    const what = this.info?.parent_checkpoint_id ? 'Forked from a step of run' : 'Re-run of run';
    const open = this.tools.openRun;
    const link = open
      ? h('button', { type: 'button', class: 'oc-link-button', 'data-action': 'open-parent-run' }, parent.slice(0, 8))
      : parent.slice(0, 8);
    if (typeof link !== 'string') link.addEventListener('click', () => open?.(parent));
    return h('div', { class: 'oc-muted', 'data-parent-run': parent }, `${what} `, link);
  }

  /** "Debug in notebook" for ``node`` (nothing when Lab offers no notebooks). */
  private debugButton(node: string, label: string): HTMLElement | string {
    return this.tools.debugNode ? debugButton(this.tools.debugNode, this.runId, node, label) : '';
  }

  dispose(): void {
    this.stop?.();
    window.clearInterval(this.timer);
    this.canvas?.destroy();
    super.dispose();
  }
}
