/**
 * The run viewer's Trace tab: the run's OpenTelemetry spans (stored with the run,
 * GET /orcheo/api/executions/{id}/trace) as a waterfall — submit, run, nodes,
 * model and HTTP calls nested as they happened, with durations, tokens, retries
 * and errors. Clicking a span shows its attributes and events.
 */

import { h } from '../canvas/form';
import { formatDuration } from '../canvas/overlay';
import { OrcheoApi } from './api';
import { durationLabelPlace } from './bars';

export interface TraceSpan {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: string;
  start_ns: number;
  end_ns: number;
  start_ms: number;
  duration_ms: number;
  status: { code: 'unset' | 'ok' | 'error'; message?: string | null };
  attributes: Record<string, unknown>;
  events: { name: string; time_ns: number; attributes: Record<string, unknown> }[];
  service: { name?: string; pid?: number };
}

export interface Trace {
  execution_id: string;
  trace_ids: string[];
  stored: boolean;
  spans: TraceSpan[];
}

interface Row {
  span: TraceSpan;
  depth: number;
}

/** Spans in tree order (each parent before its children, siblings by start). */
export function traceRows(spans: TraceSpan[]): Row[] {
  const ids = new Set(spans.map(s => s.span_id));
  const children = new Map<string | null, TraceSpan[]>();
  for (const span of spans) {
    // A parent outside the stored spans (the caller's span): show it as a root.
    const parent = span.parent_span_id && ids.has(span.parent_span_id) ? span.parent_span_id : null;
    const list = children.get(parent) ?? [];
    list.push(span);
    children.set(parent, list);
  }
  const rows: Row[] = [];
  const visit = (parent: string | null, depth: number): void => {
    const list = (children.get(parent) ?? []).sort((a, b) => a.start_ms - b.start_ms);
    for (const span of list) {
      rows.push({ span, depth });
      visit(span.span_id, depth + 1);
    }
  };
  visit(null, 0);
  return rows;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** What a span is about, in words: the node, the model and its tokens, the HTTP call. */
export function spanLabel(span: TraceSpan): { title: string; note: string } {
  const a = span.attributes;
  if (span.name === 'orcheo.node') {
    const attempts = num(a['orcheo.node.attempts']) ?? 1;
    return { title: `node ${String(a['orcheo.node.id'] ?? '?')}`, note: attempts > 1 ? `${attempts} attempts` : '' };
  }
  if (span.name === 'orcheo.run') {
    // A run resumed after an interrupt (or recovered) is a child of its first part.
    const opening = a['orcheo.run.opening'];
    const title = opening === 'resumed' ? 'run (resumed)' : 'run';
    return { title, note: String(a['orcheo.run.status'] ?? '') };
  }
  if (span.name === 'orcheo.node_test') {
    return { title: `node test ${String(a['orcheo.node.id'] ?? '?')}`, note: String(a['orcheo.test.status'] ?? '') };
  }
  if (span.name === 'orcheo.submit') return { title: 'submit', note: '' };
  if (a['gen_ai.operation.name'] !== undefined) {
    const input = num(a['gen_ai.usage.input_tokens']);
    const output = num(a['gen_ai.usage.output_tokens']);
    const total = num(a['gen_ai.usage.total_tokens']);
    const estimated = a['orcheo.usage.estimated'] === true ? ' (estimated)' : '';
    const tokens = total !== null ? `${total} tokens (${input ?? 0} in / ${output ?? 0} out)${estimated}` : '';
    return { title: span.name, note: tokens };
  }
  if (a['http.request.method'] !== undefined) {
    const status = a['http.response.status_code'];
    return {
      title: `${String(a['http.request.method'])} ${String(a['url.full'] ?? '')}`,
      note: status !== undefined ? String(status) : ''
    };
  }
  return { title: span.name, note: '' };
}

/** The Trace tab's body; ``refresh`` (re)loads the trace. */
export class TracePanel {
  readonly element = h('div', { class: 'oc-trace', 'data-trace': '' });
  private trace: Trace | null = null;
  private selected: string | null = null;
  private loading = false;

  constructor(
    private readonly api: OrcheoApi,
    private readonly runId: string
  ) {
    this.element.append(h('div', { class: 'oc-muted' }, 'Open to load the trace.'));
  }

  /** Whether the run's span has ended (it settled or paused): no need to poll further. */
  get complete(): boolean {
    return !!this.trace?.spans.some(s => s.name === 'orcheo.run' && s.attributes['orcheo.run.status'] !== undefined);
  }

  async refresh(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    try {
      this.trace = await this.api.request<Trace>(`executions/${encodeURIComponent(this.runId)}/trace`);
      this.draw();
    } catch (err) {
      this.element.replaceChildren(
        h('div', { class: 'oc-error-text', role: 'alert' }, `Cannot load the trace: ${(err as Error).message}`)
      );
    } finally {
      this.loading = false;
    }
  }

  private draw(): void {
    const trace = this.trace;
    if (!trace) return;
    if (!trace.spans.length) {
      const why = trace.stored
        ? 'No spans stored for this run yet (they are stored as the run settles or pauses).'
        : 'No spans stored: tracing keeps spans with runs when the server runs with ORCHEO_TRACE_STORE=true (c.OrcheoApp.trace_store = True).';
      this.element.replaceChildren(h('div', { class: 'oc-muted', 'data-trace-empty': '' }, why));
      return;
    }
    const rows = traceRows(trace.spans);
    const t0 = Math.min(...trace.spans.map(s => s.start_ms));
    const t1 = Math.max(...trace.spans.map(s => s.start_ms + s.duration_ms));
    const total = Math.max(t1 - t0, 0.001);
    const errors = trace.spans.filter(s => s.status.code === 'error').length;
    const tokens = trace.spans.reduce((sum, s) => sum + (num(s.attributes['gen_ai.usage.total_tokens']) ?? 0), 0);
    const summary = [`${trace.spans.length} spans`, `total ${formatDuration(total)}`];
    if (tokens) summary.push(`${tokens} tokens`);
    if (errors) summary.push(`${errors} with errors`);
    const list = h('div', { class: 'oc-trace-waterfall' });
    for (const { span, depth } of rows) {
      const { title, note } = spanLabel(span);
      const left = ((span.start_ms - t0) / total) * 100;
      const width = Math.max((span.duration_ms / total) * 100, 0.3);
      const error = span.status.code === 'error';
      const row = h(
        'div',
        {
          class: `oc-trace-row${error ? ' oc-trace-error' : ''}`,
          'data-span-id': span.span_id,
          'data-span-name': span.name,
          'data-depth': String(depth),
          'data-status': span.status.code
        },
        h('div', { class: 'oc-trace-label', style: `padding-left:${depth * 14}px`, title }, title),
        h(
          'div',
          { class: 'oc-trace-track' },
          h('div', {
            class: `oc-trace-bar oc-trace-${span.kind}${error ? ' oc-failed' : ''}`,
            style: `left:${left}%;width:${width}%`
          }),
          h('span', { class: 'oc-trace-dur', style: durationLabelPlace(left, width) }, formatDuration(span.duration_ms))
        ),
        h('div', { class: 'oc-trace-note', 'data-note': '' }, error ? `⚠ ${note || 'error'}` : note)
      );
      if (span.span_id === this.selected) row.classList.add('jp-mod-selected');
      row.addEventListener('click', () => {
        this.selected = span.span_id;
        this.draw();
      });
      list.append(row);
    }
    const chosen = trace.spans.find(s => s.span_id === this.selected);
    const reload = h(
      'button',
      { class: 'jp-mod-styled oc-trace-reload', type: 'button', 'data-action': 'reload-trace' },
      'Reload'
    );
    reload.addEventListener('click', () => void this.refresh());
    this.element.replaceChildren(
      h(
        'div',
        { class: 'oc-muted', 'data-trace-summary': '' },
        `Trace ${trace.trace_ids.join(', ')} · ${summary.join(' · ')} `,
        reload
      ),
      list,
      chosen ? this.detail(chosen) : ''
    );
  }

  private detail(span: TraceSpan): HTMLElement {
    const table = h('table', { class: 'oc-trace-attributes' });
    for (const [key, value] of Object.entries(span.attributes).sort(([a], [b]) => a.localeCompare(b))) {
      table.append(
        h('tr', {}, h('th', {}, key), h('td', {}, typeof value === 'string' ? value : JSON.stringify(value)))
      );
    }
    const started = span.start_ns;
    const events = span.events.map(e =>
      h(
        'li',
        {},
        `+${formatDuration(Math.max(e.time_ns - started, 0) / 1e6)} ${e.name} ${Object.entries(e.attributes)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ')}`
      )
    );
    return h(
      'div',
      { class: 'oc-trace-detail', 'data-span-detail': span.span_id },
      h(
        'h4',
        {},
        `${spanLabel(span).title} · ${formatDuration(span.duration_ms)}${span.service.pid ? ` · pid ${span.service.pid}` : ''}`
      ),
      span.status.code === 'error' ? h('div', { class: 'oc-error-text' }, span.status.message ?? 'error') : '',
      table,
      events.length ? h('ul', { class: 'oc-trace-events' }, ...events) : ''
    );
  }
}

/**
 * The Trace tab as the run viewer shows it: a disclosure that loads the trace when
 * opened and reloads it every second while open until the run has settled.
 */
export function traceTab(api: OrcheoApi, runId: string): HTMLElement {
  const panel = new TracePanel(api, runId);
  const tab = h('details', { class: 'oc-trace-tab', 'data-tab': 'trace' }, h('summary', {}, 'Trace'), panel.element);
  let timer = 0;
  const tick = async (): Promise<void> => {
    await panel.refresh();
    if (panel.complete || !tab.isConnected || !(tab as HTMLDetailsElement).open) {
      window.clearInterval(timer);
      timer = 0;
    }
  };
  tab.addEventListener('toggle', () => {
    if (!(tab as HTMLDetailsElement).open) return;
    void tick();
    if (!timer) timer = window.setInterval(() => void tick(), 1000);
  });
  return tab;
}
