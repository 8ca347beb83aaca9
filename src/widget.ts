/**
 * anywidget entry: the canvas bound to a Python ``Workflow`` through
 * ``orcheo_jupyter.Canvas``. Edits go to Python as small diffs (custom messages,
 * acknowledged one by one); Python-side changes arrive as a new ``document``;
 * run events of ``workflow.run()`` arrive as messages and light up the canvas.
 */

import { CanvasEditor } from './canvas/editor';
import { CanvasHost, CatalogEntry, Diff, Problem, RunEvent, WorkflowDocument } from './canvas/types';

interface Model {
  get(name: string): unknown;
  on(event: string, cb: (...args: unknown[]) => void): void;
  off(event?: string, cb?: (...args: unknown[]) => void): void;
  send(content: unknown): void;
}

interface Ack {
  type: 'ack';
  seq: number;
  view: string;
  ok: boolean;
  error?: string;
  document?: WorkflowDocument;
  diffs?: Diff[];
}

type Incoming =
  | Ack
  | { type: 'run_event'; event: RunEvent }
  | { type: 'sync'; view: string; events: RunEvent[]; document?: WorkflowDocument }
  | { type: 'remote'; diffs: Diff[] }
  | { type: 'notice'; level: 'error' | 'info'; message: string };

function render({ model, el }: { model: Model; el: HTMLElement }): () => void {
  let seq = 0;
  const view = Math.random().toString(36).slice(2);
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  const host: CanvasHost = {
    apply(diffs: Diff[]): Promise<void> {
      const n = ++seq;
      return new Promise((resolve, reject) => {
        pending.set(n, { resolve, reject });
        model.send({ type: 'diffs', seq: n, view, diffs });
      });
    },
    credentials: async () => (model.get('credentials') as string[] | undefined) ?? [],
    save: () => model.send({ type: 'save' }),
    run: () => model.send({ type: 'run' })
  };
  const root = document.createElement('div');
  el.append(root);
  const editor = new CanvasEditor(
    root,
    host,
    model.get('document') as WorkflowDocument,
    (model.get('catalog') as CatalogEntry[]) ?? [],
    { hostProblems: true, height: String(model.get('height') ?? '560px'), readOnly: !!model.get('read_only') }
  );
  editor.setProblems((model.get('problems') as Problem[]) ?? []);

  const onDocument = (): void => editor.setDocument(model.get('document') as WorkflowDocument);
  const onProblems = (): void => editor.setProblems((model.get('problems') as Problem[]) ?? []);
  const onCatalog = (): void => editor.setCatalog((model.get('catalog') as CatalogEntry[]) ?? []);
  const onMessage = (msg: unknown): void => {
    const m = msg as Incoming;
    if (m.type === 'ack') {
      if (m.view !== view) {
        // Another view of the same widget made this edit: follow it.
        if (m.ok && m.diffs && !editor.applyRemote(m.diffs)) model.send({ type: 'hello', view });
        return;
      }
      const waiter = pending.get(m.seq);
      pending.delete(m.seq);
      if (m.ok) waiter?.resolve();
      else {
        if (m.document) editor.setDocument(m.document);
        waiter?.reject(new Error(m.error ?? 'edit refused'));
      }
    } else if (m.type === 'run_event') {
      editor.runEvent(m.event);
    } else if (m.type === 'sync') {
      if (m.view !== view) return;
      if (m.document) editor.setDocument(m.document);
      if (m.events?.length) editor.setRun(m.events);
    } else if (m.type === 'remote') {
      if (!editor.applyRemote(m.diffs)) model.send({ type: 'hello', view });
    } else if (m.type === 'notice') {
      editor.toast(m.message, m.level);
    }
  };
  model.on('change:document', onDocument);
  model.on('change:problems', onProblems);
  model.on('change:catalog', onCatalog);
  model.on('msg:custom', onMessage);
  model.send({ type: 'hello', view });
  return () => {
    model.off('change:document', onDocument);
    model.off('change:problems', onProblems);
    model.off('change:catalog', onCatalog);
    model.off('msg:custom', onMessage);
    editor.destroy();
  };
}

export default { render };
