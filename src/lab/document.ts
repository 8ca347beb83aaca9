/**
 * ``*.orcheo.json`` files as canvas documents: edits become the file's text
 * (canonical form, so saving from Lab or from Python gives the same bytes), and
 * Lab's save, dirty marker and revert work as for any document.
 */

import type { IEditorServices } from '@jupyterlab/codeeditor';
import { ABCWidgetFactory, DocumentRegistry, DocumentWidget, IDocumentWidget } from '@jupyterlab/docregistry';
import { Contents } from '@jupyterlab/services';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { dumps } from '../canvas/canonical';
// Type only: the editor (cytoscape, dagre, forms) is a chunk loaded when the first canvas opens.
import type { CanvasEditor } from '../canvas/editor';
import { CanvasHost, Diff, RunOptions, WorkflowDocument } from '../canvas/types';
import { ApiError, OrcheoApi, WorkflowDetail } from './api';
import { askConflict } from './conflict';
import { rememberFile } from './files';
import { workflowIdFor } from './identity';
import { labDebugHost } from './debughost';
import { labTriggerStatus } from './triggerstatus';
import { startRun } from './start';
import { findBase, rememberBase, rememberedBase, sameDocument, versionConflict, when } from './storedversion';

export const FACTORY = 'Orcheo Canvas';
export const FILE_TYPE = 'orcheo-workflow';

export { workflowIdFor };

export class CanvasPanel extends Widget {
  private editor: CanvasEditor | null = null;
  private lastText = '';
  private stopFollow: (() => void) | null = null;

  constructor(
    readonly context: DocumentRegistry.Context,
    private readonly api: OrcheoApi,
    private readonly openRun: (id: string) => void,
    private readonly editorServices: IEditorServices | null = null,
    /** Reads the file on disk (what "Reload theirs" compares with); null: not read. */
    private readonly contents: Contents.IManager | null = null
  ) {
    super();
    this.addClass('jp-OrcheoDocument');
    this.node.style.height = '100%';
    (this.node as unknown as { orcheoPanel: CanvasPanel }).orcheoPanel = this;
    this.path = context.path;
    void context.ready.then(() => this.load());
    context.model.contentChanged.connect(this.onContent, this);
    context.saveState.connect(this.onSaveState, this);
    context.pathChanged.connect(this.onPathChanged, this);
  }

  /** The file's path before a rename (the id of an id-less document came from it). */
  private path: string;

  /**
   * A renamed file keeps its workflow: a document without an ``id`` was stored
   * under an id derived from its old path, so it takes that id with it.
   */
  private async onPathChanged(_: unknown, next: string): Promise<void> {
    const before = this.path;
    this.path = next;
    const editor = this.editor;
    if (editor?.document.id) rememberFile(editor.document.id, next);
    if (this.baseId && this.base) rememberBase(this.baseId, next, this.base);
    if (!editor || editor.document.id || before === next) return;
    const id = workflowIdFor(editor.document, before);
    try {
      if (!(await this.api.storedWorkflow(id))) return; // never stored: nothing to keep
    } catch {
      /* the API did not answer: keep the id, as a stored workflow would need */
    }
    this.adoptId(id);
  }

  /** Write ``id`` into the document (saved at once when nothing else was unsaved). */
  private adoptId(id: string): void {
    const editor = this.editor;
    if (!editor || editor.document.id === id) return;
    const clean = !this.context.model.dirty;
    editor.document.id = id;
    const next = dumps(editor.document);
    this.lastText = next;
    this.context.model.fromString(next);
    this.context.model.dirty = true;
    if (clean) void this.context.save();
  }

  /** The text last read from or written to disk. */
  private diskText: string | null = null;

  private onSaveState(_: unknown, state: DocumentRegistry.SaveState): void {
    if (state === 'completed') this.diskText = this.context.model.toString();
  }

  /** Activating the tab (or clicking in it) gives the canvas the keyboard. */
  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    if (this.editor && !this.editor.root.contains(document.activeElement)) this.editor.focusStart();
  }

  get canvas(): CanvasEditor | null {
    return this.editor;
  }

  private parse(text: string): WorkflowDocument | string {
    try {
      const data = JSON.parse(text) as WorkflowDocument;
      if (!data || typeof data !== 'object' || !data.graph) return 'not a workflow document: it has no "graph" member';
      return data;
    } catch (err) {
      return `invalid JSON: ${(err as Error).message}`;
    }
  }

  /** Orcheo's legacy JSON (``nodes``/``edges``, no ``graph``): converted by the server. */
  private async fromLegacy(text: string): Promise<WorkflowDocument | null> {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return null;
    }
    if (!data || typeof data !== 'object' || 'graph' in data || !Array.isArray((data as { nodes?: unknown }).nodes)) {
      return null;
    }
    const { document: doc, notices } = await this.api.convertLegacy(data);
    // The file now holds the converted document: unsaved until the user saves it.
    const next = dumps(doc);
    this.lastText = next;
    this.context.model.fromString(next);
    this.context.model.dirty = true;
    this.legacyNotices = notices;
    return doc;
  }

  /** What converting a legacy file changed, shown once the canvas is up. */
  legacyNotices: string[] = [];

  private async load(): Promise<void> {
    const text = this.context.model.toString();
    this.lastText = text;
    this.diskText = text;
    let doc = this.parse(text);
    if (typeof doc === 'string') {
      try {
        doc = (await this.fromLegacy(text)) ?? doc;
      } catch (err) {
        doc = `${doc} (${(err as Error).message})`;
      }
    }
    if (typeof doc === 'string') {
      this.showError(doc);
      return;
    }
    const [catalog, { CanvasEditor }, { labCodeField }] = await Promise.all([
      this.api.nodes(),
      import('../canvas/editor'),
      import('./code')
    ]);
    const host: CanvasHost = {
      apply: async (_diffs: Diff[]) => {
        if (!this.editor) return;
        const next = dumps(this.editor.document);
        this.lastText = next;
        this.context.model.fromString(next);
        // Lab 4's text model no longer marks itself dirty on a change; editors do.
        this.context.model.dirty = true;
      },
      credentials: () => this.api.credentials(),
      save: () => void this.context.save(),
      run: options => void this.run(options),
      openRun: id => this.openRun(id),
      validate: doc => this.api.validate(doc),
      debug: labDebugHost(
        this.api,
        doc => workflowIdFor(doc, this.context.path),
        id => this.isStored(id)
      ),
      continueRun: id => void this.continueRun(id),
      codeField: this.editorServices ? labCodeField(this.editorServices) : undefined,
      triggerStatus: labTriggerStatus(
        this.api,
        () => workflowIdFor(this.editor?.document ?? doc, this.context.path),
        id => this.isStored(id)
      )
    };
    // The tab was activated before its file had loaded (File › New, the launcher), or a reload
    // replaces a canvas the user was in: the keyboard goes to the new canvas.
    const hadFocus = this.node.contains(document.activeElement);
    const root = document.createElement('div');
    this.node.replaceChildren(root);
    root.style.height = '100%';
    this.editor = new CanvasEditor(root, host, doc, catalog, { height: '100%' });
    if (doc.id) rememberFile(doc.id, this.context.path);
    if (this.legacyNotices.length) this.editor.toast(this.legacyNotices.join('; '), 'info');
    if (hadFocus) this.editor.focusStart();
    void this.findBase(doc);
  }

  /**
   * The stored version the canvas's edits are made from, named when Run stores them
   * (``base_version``): 0 for a workflow never stored, undefined when unknown (the
   * API did not answer), then Run stores without the check, as before.
   */
  private base: number | undefined;
  /** The workflow ``base`` is a version of. */
  private baseId = '';
  private baseFound: Promise<void> = Promise.resolve();
  private baseSearch = 0;

  /** The stored version this canvas's edits are made from (see ``base``). */
  get baseVersion(): number | undefined {
    return this.base;
  }

  /** Whether workflow ``id`` is stored (false: known never stored; undefined: not known). */
  private async isStored(id: string): Promise<boolean | undefined> {
    await this.baseFound;
    if (id !== this.baseId || this.base === undefined) return undefined;
    return this.base > 0;
  }

  private setBase(id: string, version: number | undefined): void {
    this.base = version;
    this.baseId = id;
    this.node.dataset.baseVersion = version === undefined ? '' : String(version);
    if (version) rememberBase(id, this.context.path, version);
  }

  /**
   * Find which stored version the file's document ``doc`` is (or was edited from);
   * when it is an earlier one than the server's latest, say so at once.
   */
  private findBase(doc: WorkflowDocument): Promise<void> {
    const search = ++this.baseSearch;
    const path = this.context.path;
    const id = workflowIdFor(doc, path);
    this.baseFound = (async () => {
      let latest: WorkflowDetail | null;
      try {
        latest = await this.api.storedWorkflow(id);
      } catch {
        if (search === this.baseSearch) this.setBase(id, undefined);
        return;
      }
      if (!latest) {
        if (search === this.baseSearch) this.setBase(id, 0);
        return;
      }
      const base = await findBase(doc, latest, rememberedBase(id, path), v => this.api.version(id, v));
      if (search !== this.baseSearch) return;
      this.setBase(id, base.version);
      if (base.source === 'older') {
        const at = when(latest.updated_at);
        this.editor?.toast(
          `This file holds version ${base.version} of the stored workflow; the server has version ` +
            `${latest.version}${at ? ` (stored ${at})` : ''}. Run asks before replacing it; Versions compares them.`,
          'info'
        );
      }
    })();
    return this.baseFound;
  }

  /**
   * Store the canvas as a new version made from ``base``. When someone else stored a
   * version since, ask: reload theirs, overwrite with mine, or cancel. False when
   * nothing was stored (the run must not start).
   */
  private async store(editor: CanvasEditor, id: string): Promise<boolean> {
    await this.baseFound;
    if (this.baseId !== id) await this.findBase(editor.document);
    let base = this.base;
    for (;;) {
      try {
        const stored = await this.api.upsert(id, editor.document, base);
        this.setBase(id, stored.version);
        return true;
      } catch (err) {
        const conflict = versionConflict(err);
        if (!conflict) throw err;
        const theirs = await this.api.storedWorkflow(id);
        if (!theirs) {
          base = 0; // deleted since the conflict: store it afresh
          continue;
        }
        if (sameDocument(theirs.document, editor.document)) {
          // They stored what this canvas holds: nothing to overwrite, nothing lost.
          this.setBase(id, theirs.version);
          return true;
        }
        const name = editor.document.name || theirs.name || id;
        const choice = await askConflict(
          this.api,
          theirs.id,
          name,
          { base: conflict.base, latest: theirs.version },
          theirs.updated_at ?? null
        );
        if (choice === 'overwrite') {
          base = theirs.version;
          continue;
        }
        if (choice === 'reload') await this.takeStored(editor, id, theirs);
        else
          editor.toast(
            `Not stored, not run: the server keeps version ${theirs.version}, the canvas your edits.`,
            'info'
          );
        return false;
      }
    }
  }

  /** The document in the file on disk now; null when it cannot be read or is not one. */
  private async diskDocument(): Promise<{ text: string; doc: WorkflowDocument } | null> {
    if (!this.contents) return null;
    try {
      const model = await this.contents.get(this.context.path, { type: 'file', format: 'text', content: true });
      const text = String(model.content);
      const doc = this.parse(text);
      return typeof doc === 'string' ? null : { text, doc };
    } catch {
      return null;
    }
  }

  /**
   * Show the server's latest version instead of the canvas's edits ("Reload theirs").
   * When the file on disk holds it already (a notebook cell or another tab stored and
   * saved it), the tab reloads the file and is clean: nothing to save, no "File Changed".
   */
  private async takeStored(editor: CanvasEditor, id: string, detail: WorkflowDetail): Promise<void> {
    const disk = await this.diskDocument();
    if (disk && sameDocument(disk.doc, detail.document)) {
      this.diskText = disk.text; // the text revert brings back: the tab is clean again
      await this.context.revert();
      this.setBase(id, detail.version);
      editor.toast(
        `Showing version ${detail.version} from the server (the file holds it too); your edits were discarded.`,
        'info'
      );
      return;
    }
    const doc: WorkflowDocument = { ...detail.document, id: editor.document.id || detail.id };
    const text = dumps(doc);
    this.lastText = text;
    this.context.model.fromString(text);
    const dirty = text !== this.diskText;
    this.context.model.dirty = dirty;
    editor.setDocument(doc);
    this.setBase(id, detail.version);
    editor.toast(
      `Showing version ${detail.version} from the server; your edits were discarded.` +
        (dirty ? ' Save to write it to the file.' : ''),
      'info'
    );
  }

  private showError(message: string): void {
    this.editor?.destroy();
    this.editor = null;
    const box = document.createElement('div');
    box.className = 'jp-OrcheoDocument-error';
    box.style.padding = '16px';
    box.textContent = `Cannot show this file as a canvas: ${message}. Open it with the JSON editor to fix it.`;
    this.node.replaceChildren(box);
  }

  /** The file changed under us (revert, reload from disk, another editor). */
  private onContent(): void {
    const text = this.context.model.toString();
    if (text === this.lastText) return;
    this.lastText = text;
    // "Reload from Disk" puts the file's text back: the document is clean again.
    if (text === this.diskText) this.context.model.dirty = false;
    const doc = this.parse(text);
    if (typeof doc === 'string') {
      this.showError(doc);
      return;
    }
    if (this.editor) {
      this.editor.setDocument(doc);
      void this.findBase(doc);
    } else void this.load();
  }

  /** Store the document as a workflow version on the server, run it and light up the canvas. */
  private async run(options?: RunOptions): Promise<void> {
    const editor = this.editor;
    if (!editor) return;
    const errors = editor.localErrors();
    if (errors.length) {
      // The panel lists them already (the server's check finds the same): no request to fail.
      editor.toast(`Cannot run: ${errors.length} problem${errors.length === 1 ? '' : 's'}, listed in the panel`);
      return;
    }
    const id = workflowIdFor(editor.document, this.context.path);
    // The file carries its workflow's id from the first run on, so a rename keeps it.
    this.adoptId(id);
    rememberFile(id, this.context.path);
    try {
      if (!(await this.store(editor, id))) return;
      const runId = await startRun(this.api, id, editor.document.name || id, editor.document, options);
      if (runId === null) {
        editor.toast('Run not started', 'info');
        return;
      }
      editor.clearRun();
      editor.toast(`Run ${runId.slice(0, 8)} started`, 'info');
      this.stopFollow?.();
      this.stopFollow = this.api.follow(runId, ev => editor.runEvent({ ...ev, run_id: ev.run_id ?? runId }));
      this.lastRun = runId;
    } catch (err) {
      // A document the server refuses: its problems go where they belong (badges, the
      // panel's list, the fields), not into a long message over the canvas.
      const problems = err instanceof ApiError && err.status === 422 ? err.problems : [];
      if (problems.length && problems.some(p => p.node || (p.field && !p.field.startsWith('inputs')))) {
        editor.setProblems(problems);
        editor.toast(`Cannot run: ${problems.length} problem${problems.length === 1 ? '' : 's'}, listed in the panel`);
      } else {
        editor.toast(`Cannot run: ${(err as Error).message}`);
      }
    }
  }

  lastRun: string | null = null;

  /** Continue a run paused at a breakpoint; the canvas keeps following it. */
  private async continueRun(runId: string): Promise<void> {
    const editor = this.editor;
    try {
      await this.api.resume(runId, null);
      if (editor && this.lastRun !== runId) {
        this.stopFollow?.();
        this.stopFollow = this.api.follow(runId, ev => editor.runEvent({ ...ev, run_id: ev.run_id ?? runId }));
      }
    } catch (err) {
      editor?.toast(`Cannot continue: ${(err as Error).message}`);
    }
  }

  /** Open the run viewer for the last run started from this document. */
  showLastRun(): void {
    if (this.lastRun) this.openRun(this.lastRun);
  }

  dispose(): void {
    this.stopFollow?.();
    this.editor?.destroy();
    super.dispose();
  }
}

export class CanvasFactory extends ABCWidgetFactory<IDocumentWidget<CanvasPanel>, DocumentRegistry.IModel> {
  constructor(
    options: DocumentRegistry.IWidgetFactoryOptions<IDocumentWidget<CanvasPanel>>,
    private readonly api: OrcheoApi,
    private readonly openRun: (id: string) => void,
    private readonly editorServices: IEditorServices | null = null,
    /** Reads the file on disk (what "Reload theirs" compares with); null: not read. */
    private readonly contents: Contents.IManager | null = null
  ) {
    super(options);
  }

  protected createNewWidget(context: DocumentRegistry.Context): IDocumentWidget<CanvasPanel> {
    const content = new CanvasPanel(context, this.api, this.openRun, this.editorServices, this.contents);
    const widget = new DocumentWidget({ content, context });
    widget.addClass('jp-OrcheoDocumentWidget');
    return widget;
  }
}

/** A fresh workflow id (hex, like the server's), so a new file keeps it through renames. */
export function newWorkflowId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID().replace(/-/g, '');
  let out = '';
  for (let i = 0; i < 32; i++) out += Math.floor(Math.random() * 16).toString(16);
  return out;
}

/** The document a "New Workflow" starts from. */
export function blankDocument(name: string): string {
  return dumps({
    id: newWorkflowId(),
    name,
    description: '',
    tags: [],
    inputs_schema: {},
    triggers: [],
    canvas: { positions: {}, comments: [] },
    graph: {
      format: 'frozen-ir',
      entrypoint: null,
      ir: {
        schema_version: 1,
        state_ref: 'orcheo.graph.state.State',
        entrypoint: null,
        nodes: [],
        edges: [],
        conditional_edges: []
      }
    }
  });
}
