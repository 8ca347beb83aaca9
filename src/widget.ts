/**
 * anywidget entry: the canvas bound to a Python ``Workflow`` through
 * ``orcheo_jupyter.Canvas``. Edits go to Python as small diffs (custom messages,
 * acknowledged one by one); Python-side changes arrive as a new ``document``;
 * run events of ``workflow.run()`` arrive as messages and light up the canvas.
 */

import { lazyCodeField } from './lazycode';
import { PendingReplies } from './canvas/replies';
import { CanvasModel, deadlineMs } from './widgetmodel';
import { CanvasEditor } from './canvas/editor';
import { inputFieldErrors, inputsSchema, schemaForm } from './canvas/inputs';
import {
  CanvasHost,
  CatalogEntry,
  DebugError,
  DebugHost,
  Diff,
  JSONValue,
  NodeTestResult,
  Problem,
  RunChoice,
  RunEvent,
  RunOptions,
  TemplatePreview,
  WorkflowDocument
} from './canvas/types';

interface Ack {
  type: 'ack';
  seq: number;
  view: string;
  ok: boolean;
  error?: string;
  document?: WorkflowDocument;
  diffs?: Diff[];
  applied_at?: number;
}

type Incoming =
  | Ack
  | { type: 'run_event'; event: RunEvent }
  | { type: 'sync'; view: string; events: RunEvent[]; document?: WorkflowDocument }
  | { type: 'remote'; diffs: Diff[] }
  | { type: 'notice'; level: 'error' | 'info'; message: string }
  | { type: 'pong'; seq: number; view: string }
  | {
      type: 'debug_reply';
      seq: number;
      view: string;
      ok: boolean;
      result?: unknown;
      error?: string;
      code?: string;
      problems?: Problem[];
    };

const DISCONNECTED =
  'Disconnected from the kernel (restarted, or the canvas was closed in Python): re-run the cell to show a live canvas.';

/** ``catalog`` comes with the bundle (see orcheo_jupyter/widget/bundle.py), not from the saved state. */
function render({ model, el, catalog }: { model: CanvasModel; el: HTMLElement; catalog?: CatalogEntry[] }): () => void {
  let seq = 0;
  const view = Math.random().toString(36).slice(2);
  // Edits wait for the kernel's ack; debug questions for its reply. Both have deadlines.
  const pending = new PendingReplies<void>();
  // The debug loop runs in the kernel, next to the Workflow and its runs (request/reply).
  const asked = new PendingReplies<unknown>();
  // A restarted kernel takes the widget's comm with it: sending then throws ("Cannot
  // send"), and Lab's widget manager marks the model's comm dead. The canvas says so
  // and turns read-only instead of failing each click with an uncaught page error.
  let lost = false;
  const disconnected = (): void => {
    if (lost) return;
    lost = true;
    const closed = new Error(DISCONNECTED);
    pending.dispose(closed);
    asked.dispose(closed);
    editor?.disconnect(DISCONNECTED);
  };
  const send = (message: Record<string, unknown>): void => {
    if (lost) {
      editor?.toast(DISCONNECTED);
      return;
    }
    try {
      model.send(message);
    } catch {
      disconnected();
    }
  };
  const ask = <T>(
    op: string,
    args: Record<string, unknown>,
    what: string,
    timeoutMs = deadlineMs(model, 'reply_timeout')
  ): Promise<T> => {
    const n = ++seq;
    const reply = asked.wait(n, timeoutMs, what).catch((err: Error) => {
      throw err instanceof DebugError ? err : new DebugError(err.message, 'timeout', []);
    });
    send({ type: 'debug', seq: n, view, op, args });
    return reply as Promise<T>;
  };
  // The kernel holds the document as edited (diffs arrive in order before a request).
  const debug: DebugHost = {
    runs: () => ask<RunChoice[]>('runs', {}, 'the list of runs'),
    testNode: (_doc: WorkflowDocument, node: string, runId: string | null, runNode?: string) =>
      ask<NodeTestResult>(
        'test',
        { node, run_id: runId, run_node: runNode ?? null },
        'the node test',
        deadlineMs(model, 'node_test_timeout')
      ),
    preview: (
      _doc: WorkflowDocument,
      node: string,
      value: JSONValue,
      runId: string | null,
      includeState: boolean,
      field: string | (string | null)[] | null = null,
      runNode?: string
    ) =>
      ask<TemplatePreview>(
        'preview',
        { node, value, run_id: runId, include_state: includeState, field, run_node: runNode ?? null },
        'the template preview'
      )
  };
  const host: CanvasHost = {
    apply(diffs: Diff[]): Promise<void> {
      const n = ++seq;
      const ack = pending.wait(n, deadlineMs(model, 'reply_timeout'), 'the edit');
      send({ type: 'diffs', seq: n, view, diffs });
      return ack;
    },
    credentials: async () => model.get('credentials') ?? [],
    codeField: lazyCodeField(model),
    save: () => send({ type: 'save' }),
    debug,
    continueRun: (runId: string) => send({ type: 'continue', run_id: runId }),
    answerRun: (runId: string, value: JSONValue) => send({ type: 'continue', run_id: runId, value }),
    // A run asks for the inputs the workflow declares (or the inputs.* keys it uses).
    run: async (options?: RunOptions) => {
      const ed = editor;
      const schema = ed ? inputsSchema(ed.document) : null;
      const breaks = options ?? { break_before: [], break_after: [] };
      if (!ed || !schema) {
        send({ type: 'run', ...breaks });
        return;
      }
      const key = `orcheo-jupyter:run-inputs:${ed.document.id ?? ed.document.name}`;
      let last: object;
      try {
        last = JSON.parse(window.localStorage.getItem(key) ?? '{}') as object;
      } catch {
        last = {};
      }
      // The kernel checks the inputs before the run (inputs_schema): a refused value is
      // shown beside its field, with what was typed, and the form asks again.
      let errors: Record<string, string> = {};
      let inputs: JSONValue | null;
      for (;;) {
        const form = schemaForm(schema, last as Record<string, never>);
        form.showErrors(errors);
        inputs = await ed.ask(`Run ${ed.document.name}`, form, 'Run');
        if (inputs === null) return;
        last = inputs as object;
        try {
          await ask<unknown>('inputs', { inputs }, 'the inputs check');
          break;
        } catch (err) {
          const bad = err instanceof DebugError ? inputFieldErrors(err.problems) : null;
          if (!bad) {
            ed.toast(`Cannot run: ${(err as Error).message}`);
            return;
          }
          errors = bad;
        }
      }
      try {
        window.localStorage.setItem(key, JSON.stringify(inputs));
      } catch {
        /* not remembered: the form starts from defaults next time */
      }
      send({ type: 'run', inputs, ...breaks });
    }
  };
  const root = document.createElement('div');
  // A bare round trip to the kernel: the floor that edit latency is measured against.
  const pongs = new Map<number, () => void>();
  (root as unknown as { orcheoPing: () => Promise<void> }).orcheoPing = () =>
    new Promise<void>(resolve => {
      const n = ++seq;
      pongs.set(n, resolve);
      send({ type: 'ping', seq: n, view });
    });
  root.style.height = String(model.get('height') ?? '560px');
  el.append(root);
  let editor: CanvasEditor | null = null;
  const listeners: [string, (...args: unknown[]) => void][] = [];
  const on = (event: string, cb: (...args: unknown[]) => void): void => {
    model.on(event, cb);
    listeners.push([event, cb]);
  };

  const start = (): void => {
    try {
      editor = new CanvasEditor(root, host, model.get('document') as WorkflowDocument, catalog ?? [], {
        hostProblems: true,
        height: String(model.get('height') ?? '560px'),
        readOnly: !!model.get('read_only')
      });
    } catch (err) {
      root.textContent = `The workflow canvas failed to start: ${String(err)}`;
      throw err;
    }
    const ed = editor;
    ed.setProblems((model.get('problems') as Problem[]) ?? []);
    on('change:document', () => ed.setDocument(model.get('document') as WorkflowDocument));
    on('change:problems', () => ed.setProblems((model.get('problems') as Problem[]) ?? []));
    on('comm_live_update', disconnected); // Lab's widget manager: the kernel restarted
    if (lost) ed.disconnect(DISCONNECTED);
    on('msg:custom', (msg: unknown) => {
      const m = msg as Incoming;
      if (m.type === 'ack') {
        if (m.view !== view) {
          // Another view of the same widget made this edit: follow it.
          if (m.ok && m.diffs && !ed.applyRemote(m.diffs)) send({ type: 'hello', view });
          return;
        }
        // When Python applied it (wall clock, same machine): benchmarks/canvas.py reads it.
        if (m.applied_at) (root as unknown as { orcheoAppliedAt: number }).orcheoAppliedAt = m.applied_at;
        if (m.ok) pending.resolve(m.seq, undefined);
        else {
          if (m.document) ed.setDocument(m.document);
          pending.reject(m.seq, new Error(m.error ?? 'edit refused'));
        }
      } else if (m.type === 'run_event') {
        ed.runEvent(m.event);
      } else if (m.type === 'sync') {
        if (m.view !== view) return;
        if (m.document) ed.setDocument(m.document);
        if (m.events?.length) ed.setRun(m.events);
      } else if (m.type === 'remote') {
        if (!ed.applyRemote(m.diffs)) send({ type: 'hello', view });
      } else if (m.type === 'debug_reply') {
        if (m.view !== view) return;
        if (m.ok) asked.resolve(m.seq, m.result);
        else asked.reject(m.seq, new DebugError(m.error ?? 'the kernel refused', m.code ?? null, m.problems ?? []));
      } else if (m.type === 'pong') {
        if (m.view === view) pongs.get(m.seq)?.();
        pongs.delete(m.seq);
      } else if (m.type === 'notice') {
        ed.toast(m.message, m.level);
      }
    });
    send({ type: 'hello', view });
  };

  // Cytoscape measures its container when created: wait until the output is in the page.
  let observer: ResizeObserver | null = null;
  const attached = (): boolean => root.isConnected && root.getBoundingClientRect().width > 0;
  if (attached()) start();
  else {
    observer = new ResizeObserver(() => {
      if (!attached() || editor) return;
      observer?.disconnect();
      observer = null;
      start();
    });
    observer.observe(root);
  }

  return () => {
    observer?.disconnect();
    for (const [event, cb] of listeners) model.off(event, cb);
    const closed = new Error('the canvas view was closed');
    pending.dispose(closed);
    asked.dispose(closed);
    editor?.destroy();
  };
}

export default { render };
