/**
 * The run viewer: follows one run over the WebSocket (replay, then live) and
 * shows a timeline of node durations, each node's output, the workflow's graph
 * with the run overlay, and the raw event log.
 */

import { Widget } from '@lumino/widgets';
import { CanvasEditor } from '../canvas/editor';
import { h } from '../canvas/form';
import { emptyRun, foldEvent, formatDuration, RunSnapshot } from '../canvas/overlay';
import { RunEvent } from '../canvas/types';
import { OrcheoApi } from './api';

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
  private stop: (() => void) | null = null;
  private timer = 0;
  private canvas: CanvasEditor | null = null;
  private readonly header = h('div', { class: 'oc-run-header' });
  private readonly gantt = h('div', { class: 'oc-gantt', 'data-gantt': '' });
  private readonly detail = h('div', { class: 'oc-run-output' });
  private readonly graph = h('div', { class: 'oc-run-graph' });
  private readonly log = h('div', { class: 'oc-event-log' });

  constructor(
    private readonly api: OrcheoApi,
    readonly runId: string
  ) {
    super();
    this.id = `orcheo-run-${runId}`;
    this.addClass('jp-OrcheoRunViewer');
    this.node.setAttribute('data-run-id', runId);
    this.title.label = `Run ${runId.slice(0, 8)}`;
    this.title.closable = true;
    this.run = emptyRun(runId);
    this.node.append(
      this.header,
      h('h3', {}, 'Timeline'),
      this.gantt,
      this.detail,
      h('h3', {}, 'Graph'),
      this.graph,
      h('details', {}, h('summary', {}, 'Events'), this.log)
    );
    void this.start();
  }

  private async start(): Promise<void> {
    this.drawHeader();
    let info: Record<string, unknown> | null = null;
    try {
      info = await this.api.execution(this.runId);
      this.run.status = String(info.status ?? this.run.status);
      if (info.error) this.run.error = String(info.error);
    } catch (err) {
      this.header.append(h('div', { class: 'oc-error-text' }, `Cannot load run: ${(err as Error).message}`));
    }
    this.drawHeader(info);
    this.stop = this.api.follow(this.runId, ev => this.onEvent(ev), () => this.drawHeader(info));
    this.timer = window.setInterval(() => this.drawGantt(), 250);
    if (info && typeof info.workflow_id === 'string') void this.showGraph(info.workflow_id, Number(info.version ?? 0));
  }

  private async showGraph(workflowId: string, version: number): Promise<void> {
    try {
      const doc = version ? await this.api.version(workflowId, version) : (await this.api.workflow(workflowId)).document;
      if (!doc) return;
      const catalog = await this.api.nodes();
      const root = document.createElement('div');
      this.graph.replaceChildren(root);
      this.canvas = new CanvasEditor(root, { apply: async () => undefined, credentials: async () => [] }, doc, catalog, { readOnly: true, height: '380px' });
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
    if (ev.node && ev.type === 'node_started') {
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

  private drawHeader(info?: Record<string, unknown> | null): void {
    const r = this.run;
    this.node.setAttribute('data-run-status', r.status);
    this.header.replaceChildren(
      h('h2', {}, `Run ${this.runId}`),
      h('div', {}, 'Status: ', h('span', { class: `oc-state oc-state-${r.status}`, 'data-status': r.status }, r.status)),
      info?.workflow_id ? h('div', {}, `Workflow: ${String(info.workflow_id)}${info.version ? ` (version ${String(info.version)})` : ''}`) : '',
      r.startedAt ? h('div', {}, `Started: ${r.startedAt}`) : '',
      r.finishedAt ? h('div', {}, `Finished: ${r.finishedAt}`) : '',
      r.error ? h('div', { class: 'oc-error-text' }, r.error) : ''
    );
  }

  private drawGantt(): void {
    const spans = [...this.spans.values()];
    if (!spans.length) {
      this.gantt.replaceChildren(h('div', { class: 'oc-muted' }, 'No node has run yet.'));
      return;
    }
    const now = Date.now();
    const t0 = Math.min(this.t0 ?? spans[0].start, ...spans.map(s => s.start));
    const ends = spans.map(s => s.end ?? (this.run.finishedAt ? Date.parse(this.run.finishedAt) : now));
    const total = Math.max(1, Math.max(...ends) - t0);
    if (this.timer && this.run.finishedAt && spans.every(s => s.end !== null)) {
      window.clearInterval(this.timer);
      this.timer = 0;
    }
    this.gantt.replaceChildren();
    spans.forEach((s, i) => {
      const end = ends[i];
      const left = ((s.start - t0) / total) * 100;
      const width = Math.max(((end - s.start) / total) * 100, 0.3);
      const dur = this.run.nodes[s.node]?.durationMs ?? end - s.start;
      const bar = h('div', { class: `oc-gantt-bar oc-${s.status}`, style: `left:${left}%;width:${width}%`, title: `${s.node}: ${formatDuration(dur)}` });
      const label = h('span', { class: 'oc-gantt-dur', style: `left:calc(${Math.min(left + width, 92)}% + 4px)` }, formatDuration(dur));
      const row = h(
        'div',
        { class: 'oc-gantt-row', 'data-node': s.node, 'data-status': s.status },
        h('div', { class: 'oc-gantt-label' }, s.node),
        h('div', { class: 'oc-gantt-track' }, bar, label)
      );
      if (s.node === this.selected) row.classList.add('jp-mod-selected');
      row.addEventListener('click', () => {
        this.selected = s.node;
        this.drawGantt();
        this.drawDetail();
      });
      this.gantt.append(row);
    });
  }

  private drawDetail(): void {
    const id = this.selected;
    const n = id ? this.run.nodes[id] : undefined;
    if (!id || !n) {
      this.detail.replaceChildren();
      return;
    }
    const pre = (v: unknown): HTMLElement => h('pre', {}, JSON.stringify(v, null, 2) ?? 'null');
    this.detail.replaceChildren(
      h('h3', {}, `${id} · ${n.status} · ${formatDuration(n.durationMs)}`),
      n.error ? h('div', { class: 'oc-error-text' }, n.error) : '',
      n.output !== undefined ? h('div', { 'data-node-output': id }, h('strong', {}, 'Output'), pre(n.output)) : ''
    );
  }

  dispose(): void {
    this.stop?.();
    window.clearInterval(this.timer);
    this.canvas?.destroy();
    super.dispose();
  }
}
