/**
 * The canvas editor shared by the notebook widget and the JupyterLab document.
 *
 * The editor keeps a local copy of the document. A user action becomes a batch of
 * small diffs: applied locally (so the UI never waits), pushed on the undo stack,
 * and handed to the host, which forwards them to Python or to the Lab document
 * model. Cytoscape is reconciled from the document after every change.
 */

import cytoscape from 'cytoscape';
import { applyAll, clone, DiffError, freshId, irOf, isEditable, nodeIds, normalize } from './doc';
import { removalDiffs } from './removal';
import { buildElements, EdgeDef, Elements, sentinelPositions } from './elements';
import { createCy, decorate, HANDLE, reconcile, renderAll, statusLine, updateOutline } from './graph';
import { buildChrome, ToolbarAction } from './chrome';
import { History } from './history';
import { freeSpotNearCentre, placeUnder, reveal, withStoredPositions } from './placement';
import { acceptDrops, ConnectionHandle, keyHandler, ownsKey, shortcutGate, watchContainer } from './interaction';
import { layoutDagre, registerExtensions, roundPos } from './layout';
import { emptyRun, foldEvent, renameInRun, RunSnapshot } from './overlay';
import { CODE_TYPE, Palette } from './palette';
import { PanelContext, refreshProblems, renderPanel } from './panel';
import {
  END,
  START,
  CanvasHost,
  CatalogEntry,
  Diff,
  IRNode,
  JSONValue,
  Position,
  Problem,
  RunEvent,
  WorkflowDocument
} from './types';
import { localProblems } from './validate';
import { NodeBadges, NodeMarks } from './badges';
import { DebugSession } from './debug';
import { h } from './form';
import { SchemaForm } from './inputs';
import { CardPainter } from './cards';
import { copiedCentre, copySelection, loadCopied, parseCopied, pasteDiffs, storeCopied, Copied } from './clipboard';
import { Minimap } from './minimap';
import { moveSelection, SelectionOrder } from './navigate';
import { NotesLayer } from './notes';
import { readTheme, Theme, themeKey, watchTheme } from './theme';
import { NodeTooltip } from './tooltip';
import { stylesheet } from './style';

export interface EditorOptions {
  /** Validation comes from the host (Python); otherwise the canvas validates locally. */
  hostProblems?: boolean;
  height?: string;
  /** Force read-only (script documents are read-only regardless). */
  readOnly?: boolean;
}

/** Panel buttons that replace each other when pressed (the focus moves to the other). */
const PANEL_TWINS: Record<string, string> = { 'pin-output': 'unpin', unpin: 'pin-output' };

export class CanvasEditor {
  readonly root: HTMLElement;
  readonly cy: cytoscape.Core;
  private doc: WorkflowDocument;
  private catalog = new Map<string, CatalogEntry>();
  private problems: Problem[] = [];
  private run: RunSnapshot | null = null;
  /** Nodes renamed since the shown run started (its id -> theirs now): its later events follow. */
  private runRenames = new Map<string, string>();
  private readonly history = new History();
  private edgeDefs = new Map<string, EdgeDef>();
  private readonly palette: Palette;
  private readonly panel: HTMLElement;
  private readonly toastEl: HTMLElement;
  private readonly statusEl: HTMLElement;
  private readonly outline: HTMLElement;
  private readonly graphEl: HTMLElement;
  private readonly buttons: Record<string, HTMLButtonElement>;
  private handle: ConnectionHandle | null = null;
  private unwatch: () => void = () => undefined;
  private pendingMoves = new Set<string>();
  private movedSentinels = new Set<string>();
  private panelTimer = 0;
  private toastTimer = 0;
  private forcedReadOnly: boolean;
  /** Why the canvas lost its host for good (shown in the toolbar), or null. */
  private disconnectedNote: string | null = null;
  /** Breakpoints, the run tests use and each node's last test. */
  readonly debug: DebugSession;
  private badges: NodeBadges | null = null;
  private theme: Theme;
  private readonly painter: CardPainter;
  private readonly order: SelectionOrder;
  private readonly tooltip: NodeTooltip;
  private readonly notes: NotesLayer;
  private readonly minimap: Minimap;
  private readonly liveEl: HTMLElement;
  private readonly helpEl: HTMLElement;
  /** Identifies this canvas in copies (pasting back here offsets the copy). */
  private readonly instance = Math.random().toString(36).slice(2);
  private pasteCount = 0;

  constructor(
    root: HTMLElement,
    private readonly host: CanvasHost,
    doc: WorkflowDocument,
    catalog: CatalogEntry[],
    private readonly options: EditorOptions = {}
  ) {
    registerExtensions();
    this.root = root;
    this.doc = normalize(clone(doc));
    this.forcedReadOnly = !!options.readOnly;
    for (const entry of catalog) this.catalog.set(entry.type, entry);

    if (options.height) root.style.height = options.height;
    (root as unknown as { orcheoCanvas: CanvasEditor }).orcheoCanvas = this;
    this.palette = new Palette(type => this.addNode(type));
    const actions: ToolbarAction[] = [
      { name: 'undo', text: 'Undo', title: 'Undo (Ctrl+Z)', run: () => this.undo() },
      { name: 'redo', text: 'Redo', title: 'Redo (Ctrl+Y)', run: () => this.redo() },
      { name: 'layout', text: 'Layout', title: 'Arrange the graph automatically', run: () => this.autoLayout() },
      { name: 'fit', text: 'Fit', title: 'Zoom to fit (F)', run: () => this.fit() },
      { name: 'delete', text: 'Delete', title: 'Delete the selection (Delete)', run: () => this.deleteSelected() },
      { name: 'note', text: 'Note', title: 'Add a sticky note (N)', run: () => this.addNote() },
      {
        name: 'minimap',
        text: 'Map',
        title: 'Show or hide the minimap (M)',
        toggle: true,
        run: () => this.toggleMinimap()
      }
    ];
    this.debug = new DebugSession(host.debug ?? null);
    if (host.run) actions.push({ name: 'run', text: 'Run', title: 'Run this workflow', run: () => this.startRun() });
    if (host.openRun) {
      actions.push({
        name: 'open-run',
        text: 'Run viewer',
        title: 'Open the run viewer for the run shown here (timeline, outputs, answers)',
        run: () => {
          if (this.run?.id) host.openRun?.(this.run.id);
        }
      });
    }
    if (host.save) actions.push({ name: 'save', text: 'Save', title: 'Save (Ctrl+S)', run: () => host.save?.() });
    actions.push({ name: 'clear-run', text: 'Clear run', title: 'Hide the run overlay', run: () => this.clearRun() });
    actions.push({
      name: 'help',
      text: 'Keys',
      title: 'Keyboard shortcuts (?)',
      toggle: true,
      run: () => this.toggleHelp()
    });
    const chrome = buildChrome(root, this.palette.element, actions);
    ({
      statusEl: this.statusEl,
      buttons: this.buttons,
      graphEl: this.graphEl,
      panel: this.panel,
      toastEl: this.toastEl,
      outline: this.outline,
      liveEl: this.liveEl,
      helpEl: this.helpEl
    } = chrome);
    this.buttons.help.dataset.keepFocus = 'true';
    this.buttons.note.dataset.keepFocus = 'true'; // the new note takes the keyboard

    this.theme = readTheme(root);
    root.dataset.theme = this.theme.dark ? 'dark' : 'light';
    this.painter = new CardPainter(this.theme, this.catalog);
    this.cy = createCy(this.graphEl, buildElements(this.doc).nodes.length, this.theme);
    this.order = new SelectionOrder(this.cy);
    this.tooltip = new NodeTooltip(this.cy, chrome.tooltipEl, id => this.describe(id));
    this.notes = new NotesLayer(this.cy, chrome.notesEl, {
      readOnly: () => this.readOnly,
      edit: (diffs, label) => this.edit(diffs, label),
      announce: text => this.announce(text)
    });
    this.minimap = new Minimap(this.cy, chrome.minimapEl, this.theme);
    this.buttons.minimap.setAttribute('aria-pressed', String(this.minimap.visible));
    this.badges = new NodeBadges(this.cy, this.graphEl);
    this.palette.setCatalog(catalog);
    this.bindEvents();
    this.load();
  }

  // --- public API used by hosts -------------------------------------------------
  get document(): WorkflowDocument {
    return this.doc;
  }

  get readOnly(): boolean {
    return this.forcedReadOnly || !isEditable(this.doc);
  }

  /**
   * The host is gone for good (the notebook's kernel restarted): the canvas turns
   * read-only, says why in its toolbar and keeps showing what it last knew.
   */
  disconnect(message: string): void {
    if (this.disconnectedNote !== null) return;
    this.disconnectedNote = message;
    this.forcedReadOnly = true;
    this.root.setAttribute('data-disconnected', '');
    this.afterChange(false);
    this.toast(message);
  }

  /** Replace the document (a change made elsewhere, e.g. in Python or on disk). */
  setDocument(doc: WorkflowDocument): void {
    const next = normalize(clone(doc));
    const structural = next.graph.format !== this.doc.graph.format;
    this.doc = next;
    this.history.clear();
    if (structural) this.load();
    else this.afterChange(true);
  }

  /** Apply diffs another view (or Python) already applied; no undo entry, not sent back. */
  applyRemote(diffs: Diff[]): boolean {
    try {
      applyAll(this.doc, diffs);
    } catch {
      return false;
    }
    this.followRenames(diffs);
    this.history.clear();
    this.afterChange(true);
    return true;
  }

  setCatalog(catalog: CatalogEntry[]): void {
    this.catalog = new Map(catalog.map(c => [c.type, c]));
    this.painter.setCatalog(this.catalog);
    this.palette.setCatalog(catalog);
    this.afterChange(false);
  }

  setProblems(problems: Problem[]): void {
    this.problems = problems;
    this.decorate();
    this.schedulePanel();
  }

  /** Start a run through the host, pausing at the breakpoints toggled on nodes. */
  startRun(): void {
    this.debug.forgetRuns(true);
    this.host.run?.(this.debug.runOptions(nodeIds(this.doc)));
  }

  /**
   * The shown run's record of a node renamed on the canvas moves with it (until the next
   * run): its status and output stay on the node the user renamed.
   */
  private followRenames(diffs: Diff[]): void {
    for (const d of diffs) {
      if (d.op !== 'rename_node' || !this.run) continue;
      renameInRun(this.run, d.id, d.new_id);
      for (const [old, now] of this.runRenames) if (now === d.id) this.runRenames.set(old, d.new_id);
      if (!this.runRenames.has(d.id)) this.runRenames.set(d.id, d.new_id);
    }
  }

  /** An event of the shown run, under the ids its nodes have on the canvas now. */
  private renamed(ev: RunEvent): RunEvent {
    if (!this.runRenames.size || !ev.node) return ev;
    const [top, ...rest] = ev.node.split('/');
    const now = this.runRenames.get(top);
    return now === undefined ? ev : { ...ev, node: [now, ...rest].join('/') };
  }

  /** Fold one live run event into the overlay. */
  runEvent(ev: RunEvent): void {
    if (ev.type === 'run_started') this.debug.forgetRuns(); // the run selector lists it next time
    // An event of another run starts a fresh overlay.
    if (!this.run || (ev.run_id && this.run.id && ev.run_id !== this.run.id)) {
      this.run = emptyRun(ev.run_id ?? null);
      this.runRenames.clear();
    }
    if (foldEvent(this.run, this.renamed(ev))) {
      this.decorate();
      this.schedulePanel();
    }
  }

  /** Replay a whole run (e.g. a view opened after the run). */
  setRun(events: RunEvent[]): void {
    const same = !!this.run?.id && events[0]?.run_id === this.run.id;
    if (!same) this.runRenames.clear();
    this.run = events.length ? emptyRun(events[0].run_id ?? null) : null;
    for (const ev of events) if (this.run) foldEvent(this.run, this.renamed(ev));
    this.decorate();
    this.schedulePanel();
  }

  clearRun(): void {
    this.run = null;
    this.runRenames.clear();
    this.decorate();
    this.schedulePanel();
  }

  get runSnapshot(): RunSnapshot | null {
    return this.run;
  }

  /** Show a message over the canvas (e.g. an edit the host refused). */
  /**
   * Give the canvas the keyboard where the user starts: the palette's search on an empty,
   * editable workflow (add a node first), else the graph (arrows walk the nodes).
   */
  focusStart(): void {
    const empty = this.cy.nodes().every(n => n.data('kind') === 'sentinel' || !n.data('kind'));
    if (empty && !this.readOnly) this.palette.focusSearch();
    else this.graphEl.focus({ preventScroll: true });
  }

  /**
   * The document's errors by the rules the canvas itself knows (the server's, mirrored):
   * a run or a store refused for them can be refused here, with no request.
   */
  localErrors(): Problem[] {
    return localProblems(this.doc, [...this.catalog.values()]).filter(p => p.severity === 'error');
  }

  toast(message: string, kind: 'error' | 'info' = 'error'): void {
    this.toastEl.textContent = message;
    this.toastEl.className = `oc-toast oc-toast-${kind}`;
    this.toastEl.hidden = false;
    window.clearTimeout(this.toastTimer);
    this.toastTimer = window.setTimeout(() => (this.toastEl.hidden = true), kind === 'error' ? 8000 : 3000);
  }

  /**
   * Ask for values in a form over the canvas (where there is no Lab dialog, e.g. the
   * notebook widget): the form's value on OK, null on Cancel or Escape.
   */
  ask(title: string, form: SchemaForm, okLabel = 'OK'): Promise<JSONValue | null> {
    return new Promise(resolve => {
      const ok = h('button', { type: 'submit', class: 'oc-button oc-primary', 'data-action': 'accept' }, okLabel);
      const cancel = h('button', { type: 'button', class: 'oc-button', 'data-action': 'reject' }, 'Cancel');
      const box = h(
        'form',
        { class: 'oc-modal', role: 'dialog', 'aria-label': title },
        h('h3', {}, title),
        form.element,
        h('div', { class: 'oc-modal-buttons' }, cancel, ok)
      );
      const shade = h('div', { class: 'oc-modal-shade' }, box);
      const close = (value: JSONValue | null): void => {
        shade.remove();
        this.root.focus({ preventScroll: true });
        resolve(value);
      };
      box.addEventListener('submit', ev => {
        ev.preventDefault();
        const { value, errors } = form.read();
        form.showErrors(errors);
        if (!Object.keys(errors).length) close(value);
      });
      cancel.addEventListener('click', () => close(null));
      box.addEventListener('keydown', ev => {
        if (ev.key === 'Escape') close(null);
      });
      this.root.append(shade);
      box.querySelector<HTMLElement>('input, textarea, select')?.focus();
    });
  }

  /** Client (viewport) coordinates of a node's centre: used by tests and tools. */
  nodeClientPosition(id: string): Position | null {
    const ele = this.cy.getElementById(id);
    if (ele.empty()) return null;
    const p = ele.renderedPosition();
    const rect = this.graphEl.getBoundingClientRect();
    return { x: rect.left + p.x, y: rect.top + p.y };
  }

  /** Zoom to fit, but never above 100 %: a small graph stays at its natural size. */
  fit(): void {
    const eles = this.cy.nodes().not(`#${HANDLE}`);
    this.cy.fit(eles, 30);
    if (this.cy.zoom() > 1) {
      this.cy.zoom(1);
      this.cy.center(eles);
    }
  }

  destroy(): void {
    window.clearTimeout(this.validateTimer);
    this.badges?.destroy();
    this.tooltip.destroy();
    this.notes.destroy();
    this.minimap.destroy();
    this.unwatch();
    this.handle?.destroy();
    this.cy.destroy();
    this.root.replaceChildren();
  }

  // --- editing -------------------------------------------------------------------
  /** Apply a user's change locally, record it for undo and send it to the host. */
  edit(diffs: Diff[], label: string): boolean {
    if (this.readOnly) {
      this.toast('This workflow is read-only on the canvas.');
      return false;
    }
    const batch = withStoredPositions(this.cy, this.doc, diffs);
    let undo: Diff[];
    try {
      undo = applyAll(this.doc, batch);
    } catch (err) {
      this.toast(err instanceof DiffError ? err.message : String(err));
      return false;
    }
    this.history.push({ label, redo: batch, undo });
    this.followRenames(batch);
    for (const d of batch) {
      if (d.op === 'rename_node') this.debug.rename(d.id, d.new_id);
      else if (d.op === 'remove_node') this.debug.rename(d.id, null);
    }
    this.send(batch); // the diff leaves before the redraw: the kernel works while we draw
    if (batch.every(d => d.op === 'move')) this.afterMove();
    else this.afterChange(false);
    return true;
  }

  undo(): void {
    const step = this.history.takeUndo();
    if (!step) return;
    applyAll(this.doc, step.undo);
    this.followRenames(step.undo);
    this.send(step.undo);
    this.afterChange(true);
    this.toast(`Undid: ${step.label}`, 'info');
  }

  redo(): void {
    const step = this.history.takeRedo();
    if (!step) return;
    applyAll(this.doc, step.redo);
    this.followRenames(step.redo);
    this.send(step.redo);
    this.afterChange(true);
    this.toast(`Redid: ${step.label}`, 'info');
  }

  addNode(type: string, at?: Position): string | null {
    if (this.readOnly) return null;
    const ir = irOf(this.doc);
    const id = freshId(ir, type === CODE_TYPE ? 'code' : type);
    const node: IRNode =
      type === CODE_TYPE
        ? { kind: 'code', id, config: {}, injected: [], body: 'return {}' }
        : { kind: 'builtin', id, type, config: {} };
    const position = roundPos(at ?? freeSpotNearCentre(this.cy));
    if (!this.edit([{ op: 'add_node', node, position }], `add ${id}`)) return null;
    this.cy.elements().unselect();
    const added = this.cy.getElementById(id);
    added.select();
    reveal(this.cy, added);
    this.announce(`Added ${id}. ${this.nodeCount()} nodes.`);
    return id;
  }

  connect(source: string, target: string): boolean {
    const problem = this.connectProblem(source, target);
    if (problem) {
      this.toast(problem);
      return false;
    }
    return this.edit([{ op: 'add_edge', source, target }], `connect ${source} → ${target}`);
  }

  /** Connect the two selected nodes, the one selected first to the other (the C key). */
  connectSelected(): boolean {
    const ids = this.order.ids(this.cy);
    if (ids.length !== 2) {
      this.toast('Select two nodes to connect: arrow keys to the first, Shift+arrow to the second, then C.', 'info');
      return false;
    }
    const [source, target] = ids;
    if (!this.connect(source, target)) return false;
    // The target stays selected: Shift+arrow and C again continue the chain.
    this.cy.getElementById(source).unselect();
    this.announce(`Connected ${this.spoken(source)} to ${this.spoken(target)}.`);
    return true;
  }

  // --- keyboard, screen readers, tooltips ------------------------------------------
  /** Say ``text`` to screen readers (a polite live region). */
  announce(text: string): void {
    // Re-setting the same text is not announced again: clear it first.
    this.liveEl.textContent = '';
    window.setTimeout(() => (this.liveEl.textContent = text), 30);
  }

  private spoken(id: string): string {
    return id === START ? 'start' : id === END ? 'end' : id;
  }

  private nodeCount(): number {
    return irNodes(this.doc).length;
  }

  /** Name, type and description of a node (its tooltip and what is announced). */
  private describe(id: string): { name: string; type: string; description: string } | null {
    if (id === START)
      return {
        name: 'start',
        type: 'Start of the run',
        description: 'The run begins here; connect it to the first node.'
      };
    if (id === END) return { name: 'end', type: 'End of the run', description: 'The run stops when it reaches end.' };
    const node = irNodes(this.doc).find(n => n.id === id);
    if (!node) {
      const ele = this.cy.getElementById(id);
      return ele.nonempty() ? { name: id, type: String(ele.data('type') ?? ''), description: '' } : null;
    }
    if (node.kind === 'code')
      return { name: id, type: 'Python code', description: 'A Python function body: def run(self, state, config).' };
    if (node.kind === 'subgraph')
      return { name: id, type: 'Subgraph', description: `A nested graph of ${node.graph.nodes.length} nodes.` };
    const entry = this.catalog.get(node.type);
    return {
      name: id,
      type: entry ? `${node.type} (${entry.category})` : node.type,
      description: entry?.description ?? 'Unknown node type.'
    };
  }

  /** Arrow keys: select the nearest node that way (Shift adds it to the selection). */
  navigate(dir: 'left' | 'right' | 'up' | 'down', extend: boolean): void {
    const id = moveSelection(this.cy, this.order, dir, extend);
    if (!id) return;
    const ele = this.cy.getElementById(id);
    const ext = this.cy.extent();
    const p = ele.position();
    if (p.x < ext.x1 || p.x > ext.x2 || p.y < ext.y1 || p.y > ext.y2) this.cy.center(ele);
    const info = this.describe(id);
    const count = this.order.ids(this.cy).length;
    this.announce(`${info ? `${info.name}, ${info.type}` : id}${count > 1 ? `. ${count} nodes selected` : ''}.`);
    this.tooltip.show(id);
  }

  private toggleHelp(force?: boolean): void {
    const show = force ?? this.helpEl.hidden;
    this.helpEl.hidden = !show;
    this.buttons.help.setAttribute('aria-pressed', String(show));
  }

  private toggleMinimap(): void {
    const on = this.minimap.toggle();
    this.buttons.minimap.setAttribute('aria-pressed', String(on));
    this.root.setAttribute('data-minimap', on ? 'on' : 'off');
  }

  /** A sticky note in the middle of the view. */
  addNote(): string | null {
    const ext = this.cy.extent();
    return this.notes.add({ x: ext.x1 + ext.w / 2 - 100, y: ext.y1 + ext.h / 2 - 40 });
  }

  /** Re-read the theme's colours; restyle only when they changed. */
  refreshTheme(): void {
    const next = readTheme(this.root);
    if (themeKey(next) === themeKey(this.theme)) return;
    this.theme = next;
    this.painter.setTheme(next);
    this.cy.style(stylesheet(next));
    this.minimap.setTheme(next);
    this.decorate();
    this.root.dataset.theme = next.dark ? 'dark' : 'light';
  }

  // --- copy and paste --------------------------------------------------------------
  private copied(): Copied | null {
    const ids = this.selection().nodes.filter(id => id !== START && id !== END);
    return copySelection(this.doc, ids, this.instance, id => {
      const ele = this.cy.getElementById(id);
      return ele.nonempty() ? ele.position() : null;
    });
  }

  /** Ctrl+C: the selected nodes go to every canvas's clipboard. */
  copy(): boolean {
    const copied = this.copied();
    if (!copied) return false;
    storeCopied(copied);
    this.pasteCount = 0;
    this.announce(`Copied ${copied.nodes.length} node${copied.nodes.length === 1 ? '' : 's'}.`);
    return true;
  }

  cut(): void {
    if (this.copy()) this.deleteSelected();
  }

  /** Ctrl+V: add the copied nodes (fresh ids), selected, as one undoable step. */
  paste(copied: Copied | null = loadCopied()): string[] {
    if (this.readOnly) return [];
    if (!copied) {
      this.toast('Nothing to paste: copy nodes with Ctrl+C first.', 'info');
      return [];
    }
    let centre: Position;
    const origin = copiedCentre(copied);
    if (copied.source === this.instance && origin) {
      this.pasteCount++;
      centre = { x: origin.x + 40 * this.pasteCount, y: origin.y + 40 * this.pasteCount };
    } else {
      const ext = this.cy.extent();
      centre = { x: ext.x1 + ext.w / 2, y: ext.y1 + ext.h / 2 };
    }
    const { diffs, ids } = pasteDiffs(this.doc, copied, centre);
    if (!diffs.length || !this.edit(diffs, `paste ${ids.length} node(s)`)) return [];
    this.cy.elements().unselect();
    for (const id of ids) this.cy.getElementById(id).select();
    this.announce(`Pasted ${ids.join(', ')}.`);
    return ids;
  }

  /** Ctrl+D: copy and paste the selection in one go, without touching the clipboard. */
  duplicate(): string[] {
    const copied = this.copied();
    if (!copied) return [];
    copied.source = this.instance;
    this.pasteCount = 0;
    return this.paste(copied);
  }

  /** Selected workflow nodes (ids) and edges (as drawn). */
  private selection(): { nodes: string[]; edges: EdgeDef[] } {
    const nodes = this.cy
      .nodes(':selected')
      .not(`#${HANDLE}`)
      .map(n => n.id());
    const edges = this.cy
      .edges(':selected')
      .map(e => this.edgeDefs.get(e.id()))
      .filter((e): e is EdgeDef => !!e);
    return { nodes, edges };
  }

  deleteSelected(): void {
    const { nodes, edges } = this.selection();
    this.remove(nodes, edges);
  }

  /** Delete nodes and edges with everything that points at them, as one undoable step. */
  remove(nodes: string[], edges: EdgeDef[]): void {
    if (this.readOnly || (!nodes.length && !edges.length)) return;
    const diffs = removalDiffs(this.doc, nodes, edges);
    if (diffs.length) this.edit(diffs, nodes.length ? `delete ${nodes.length} node(s)` : 'delete edge');
  }

  autoLayout(): void {
    layoutDagre(this.cy.elements().not(`#${HANDLE}`));
    this.movedSentinels.clear();
    const positions: Record<string, Position> = {};
    for (const n of buildElements(this.doc).nodes) {
      if (n.kind === 'sentinel') continue;
      positions[n.id] = roundPos(this.cy.getElementById(n.id).position());
    }
    if (!this.readOnly) this.edit([{ op: 'move', positions }], 'auto-layout');
    this.fit();
  }

  // --- internals -----------------------------------------------------------------
  /** The host's answer to the latest edit (benchmarks and tests await it). */
  lastSend: Promise<void> = Promise.resolve();

  private send(diffs: Diff[]): void {
    this.lastSend = this.host.apply(diffs).catch((err: unknown) => {
      this.toast(err instanceof Error ? err.message : String(err));
    });
  }

  private canConnect(source: string, target: string): boolean {
    return this.connectProblem(source, target) === null;
  }

  /** Why ``source`` cannot connect to ``target`` (null when it can), in the user's words. */
  private connectProblem(source: string, target: string): string | null {
    if (this.readOnly) return 'This workflow is read-only on the canvas.';
    if (source === HANDLE || target === HANDLE) return 'Drop the connection on a node.';
    if (target === START) return `Cannot connect ${source} to start: a run begins at start, nothing leads into it.`;
    if (source === END) return 'Nothing can follow end: the run stops there.';
    if (source === target) return `Cannot connect ${source} to itself (use conditional routing for a loop).`;
    const ir = irOf(this.doc);
    if (ir.edges.some(e => e.source === source && e.target === target))
      return `${source} already connects to ${target}.`;
    return null;
  }

  /** First render: one batched add, and a layout only when positions are missing. */
  private load(): void {
    const els = buildElements(this.doc);
    this.edgeDefs = new Map(els.edges.map(e => [e.id, e]));
    const needLayout = renderAll(this.cy, this.doc, els);
    if (needLayout) layoutDagre(this.cy.elements());
    const vp = this.doc.canvas.viewport;
    if (vp && !needLayout) this.cy.viewport({ zoom: vp.zoom, pan: { x: vp.x, y: vp.y } });
    else this.fit();
    this.cy.autoungrabify(false);
    this.afterChange(false, els);
  }

  /** The elements last drawn (a drag changes positions only, so they stay valid). */
  private els: Elements | null = null;

  /** After a drag cytoscape already shows the new positions: only the sentinels follow. */
  private afterMove(): void {
    const els = this.els;
    if (!els) {
      this.afterChange(false);
      return;
    }
    const at = sentinelPositions(els, id =>
      id === START || id === END ? undefined : this.cy.getElementById(id).position()
    );
    this.cy.batch(() => {
      for (const id of [START, END]) if (!this.movedSentinels.has(id)) this.cy.getElementById(id).position(at[id]);
    });
    this.updateButtons();
  }

  /** Bring cytoscape, counts, outline, problems and the panel in line with the document. */
  private afterChange(movePositions: boolean, prebuilt?: Elements): void {
    const els = prebuilt ?? buildElements(this.doc);
    this.els = els;
    if (!prebuilt) {
      this.edgeDefs = new Map(els.edges.map(e => [e.id, e]));
      reconcile(this.cy, this.doc, els, {
        movePositions,
        movedSentinels: this.movedSentinels,
        placeFor: id => placeUnder(this.cy, els, id)
      });
    }
    this.root.toggleAttribute('data-read-only', this.readOnly);
    this.root.classList.toggle('oc-read-only', this.readOnly);
    this.palette.element.hidden = this.readOnly;
    const workflowNodes = els.nodes.filter(n => n.kind !== 'sentinel');
    this.root.setAttribute('data-node-count', String(workflowNodes.length));
    this.root.setAttribute('data-edge-count', String(els.edges.length));
    this.graphEl.setAttribute(
      'aria-label',
      `Workflow graph ${this.doc.name}: ${workflowNodes.length} node${workflowNodes.length === 1 ? '' : 's'}, ${els.edges.length} edge${els.edges.length === 1 ? '' : 's'}. Press ? for keyboard shortcuts.`
    );
    this.notes.render(this.doc.canvas.comments ?? []);
    this.root.setAttribute('data-note-count', String((this.doc.canvas.comments ?? []).length));
    updateOutline(
      this.outline,
      workflowNodes.map(n => n.id)
    );
    if (this.host.validate && !this.options.hostProblems) this.scheduleValidation();
    else if (!this.options.hostProblems) this.problems = localProblems(this.doc, [...this.catalog.values()]);
    this.decorate();
    this.updateButtons();
    this.schedulePanel();
  }

  private validateTimer = 0;
  private validateSeq = 0;

  /** Ask the host (the server) for the document's problems, shortly after the last change. */
  private scheduleValidation(): void {
    window.clearTimeout(this.validateTimer);
    const seq = ++this.validateSeq;
    this.root.setAttribute('data-validating', '');
    this.validateTimer = window.setTimeout(async () => {
      let problems: Problem[];
      try {
        problems = (await this.host.validate?.(clone(this.doc))) ?? [];
      } catch {
        problems = localProblems(this.doc, [...this.catalog.values()]); // server unreachable
      }
      if (seq !== this.validateSeq) return; // a later edit is being checked
      this.root.removeAttribute('data-validating');
      const changed = JSON.stringify(problems) !== JSON.stringify(this.problems);
      this.problems = problems;
      this.decorate();
      if (changed) this.schedulePanel(); // the panel the user works in is redrawn only when it must
    }, 120);
  }

  /** Validation badges, run states and the status line. */
  private decorate(): void {
    const runNodes = this.run?.nodes ?? {};
    decorate(this.cy, this.outline, this.problems, runNodes, this.painter, Boolean(this.run?.finishedAt));
    this.drawBadges(runNodes);
    this.statusEl.textContent =
      this.disconnectedNote ??
      statusLine(
        this.run,
        this.readOnly,
        this.doc.graph.format === 'frozen-ir' ? irNodes(this.doc).map(n => n.id) : (this.doc.graph.index?.nodes ?? [])
      );
    this.statusEl.title = this.statusEl.textContent ?? ''; // the whole line where it is shortened
    if (this.run) this.root.setAttribute('data-run-status', this.run.status);
    else this.root.removeAttribute('data-run-status');
    if (this.run?.warnings.length) this.root.setAttribute('data-run-warnings', String(this.run.warnings.length));
    else this.root.removeAttribute('data-run-warnings');
    this.root.setAttribute('data-problem-count', String(this.problems.length));
    this.buttons['clear-run'].hidden = !this.run;
    if (this.buttons['open-run']) this.buttons['open-run'].hidden = !this.run?.id;
  }

  /** Pins (from the document), breakpoints (this session) and where a run paused. */
  private drawBadges(runNodes: Record<string, { paused?: 'before' | 'after' }>): void {
    const marks = new Map<string, NodeMarks>();
    const mark = (id: string): NodeMarks => {
      let m = marks.get(id);
      if (!m) marks.set(id, (m = {}));
      return m;
    };
    for (const id of Object.keys(this.doc.pinned ?? {})) mark(id).pin = true;
    for (const id of this.debug.breakBefore) mark(id).breakBefore = true;
    for (const id of this.debug.breakAfter) mark(id).breakAfter = true;
    if (this.run?.status === 'interrupted') {
      for (const [id, n] of Object.entries(runNodes)) if (n.paused) mark(id).paused = n.paused;
    }
    this.badges?.set(marks);
    for (const li of Array.from(this.outline.children) as HTMLElement[]) {
      const m = marks.get(li.dataset.nodeId ?? '');
      li.toggleAttribute('data-pinned', !!m?.pin);
      const points = [m?.breakBefore ? 'before' : '', m?.breakAfter ? 'after' : ''].filter(Boolean).join(' ');
      if (points) li.setAttribute('data-breakpoint', points);
      else li.removeAttribute('data-breakpoint');
    }
  }

  private updateButtons(): void {
    this.buttons.undo.disabled = !this.history.canUndo || this.readOnly;
    this.buttons.redo.disabled = !this.history.canRedo || this.readOnly;
    this.buttons.delete.disabled = this.readOnly;
    this.buttons.note.disabled = this.readOnly;
    this.buttons.layout.disabled = false;
  }

  private schedulePanel(): void {
    window.clearTimeout(this.panelTimer);
    this.panelTimer = window.setTimeout(() => this.renderPanel(), 30);
  }

  private panelContext(): PanelContext {
    return {
      doc: this.doc,
      catalog: this.catalog,
      problems: this.problems,
      run: this.run,
      readOnly: this.readOnly,
      credentials: () => this.host.credentials(),
      codeField: this.host.codeField,
      triggerStatus: this.host.triggerStatus,
      edit: (diffs, label) => this.edit(diffs, label),
      remove: (n, e) => this.remove(n, e),
      debug: this.debug,
      debugHost: this.host.debug ?? null,
      // A script is read-only as a graph but runs, with breakpoints, like a drawn one.
      canRun: !!this.host.run && !this.forcedReadOnly,
      debugChanged: () => this.decorate(),
      redraw: () => this.schedulePanel(),
      continueRun: this.host.continueRun ?? null,
      answerRun: this.host.answerRun ?? null,
      select: id => {
        this.cy.elements().unselect();
        const ele = this.cy.getElementById(id);
        ele.select();
        this.cy.animate({ center: { eles: ele } }, { duration: 200 });
      }
    };
  }

  private renderPanel(): void {
    // Never rebuild the form under the user's cursor while they edit (drafts would be lost).
    const active = document.activeElement;
    const { nodes, edges } = this.selection();
    // A picker the user has open on the node still shown stays open (another selection wins).
    const shown = this.panel.querySelector<HTMLElement>('.oc-node-panel')?.dataset.nodeId;
    const menuOpen =
      !!this.panel.querySelector('.oc-secret-menu:not([hidden])') && nodes.length === 1 && nodes[0] === shown;
    if (
      menuOpen ||
      (active && this.panel.contains(active) && active.matches('input, textarea, select, [contenteditable="true"]'))
    ) {
      refreshProblems(this.panel, this.panelContext()); // what the edit fixed or broke shows at once
      this.panelTimer = window.setTimeout(() => this.renderPanel(), 400);
      return;
    }
    // A keyboard user who pressed a panel button (Test node, Pin, Break...) keeps the focus on
    // the same button of the redrawn panel, instead of losing it to the page.
    const pressed =
      active instanceof HTMLElement && this.panel.contains(active) && nodes.length === 1 && nodes[0] === shown
        ? active.dataset.action
        : undefined;
    renderPanel(this.panel, this.panelContext(), nodes, edges);
    if (pressed && document.activeElement !== active) {
      // A toggle's button turns into its twin (Pin becomes Unpin); failing both, the graph.
      const find = (action: string): HTMLElement | null =>
        this.panel.querySelector<HTMLElement>(`[data-action="${CSS.escape(action)}"]`);
      const twin = PANEL_TWINS[pressed];
      (find(pressed) ?? (twin ? find(twin) : null) ?? this.graphEl).focus();
    }
  }

  // --- events ----------------------------------------------------------------------
  private bindEvents(): void {
    const cy = this.cy;
    this.unwatch = watchContainer(cy, this.graphEl);
    this.handle = new ConnectionHandle(cy, {
      enabled: () => !this.readOnly,
      canConnect: (source, target) => this.canConnect(source, target),
      connect: (source, target) => void this.connect(source, target),
      refuse: (source, target) =>
        this.toast(this.connectProblem(source, target) ?? `Cannot connect ${source} to ${target}.`)
    });
    const owns = ownsKey(!!this.host.save);
    const ungate = shortcutGate(this.root, owns);
    const unwatch = this.unwatch;
    this.unwatch = () => {
      ungate();
      unwatch();
    };
    const stopTheme = watchTheme(() => this.refreshTheme());
    // A canvas built before it was in the page read fallback colours: look again once shown.
    for (const delay of [0, 200, 1000]) window.setTimeout(() => this.refreshTheme(), delay);
    const unwatchAll = this.unwatch;
    this.unwatch = () => {
      stopTheme();
      unwatchAll();
    };
    acceptDrops(
      cy,
      this.graphEl,
      () => !this.readOnly,
      (type, at) => void this.addNode(type, at)
    );
    // Paste from the browser's menu (or another app): the system clipboard's text.
    this.root.addEventListener('paste', ev => {
      const target = ev.target as HTMLElement;
      if (target.closest('input, textarea, select, [contenteditable="true"]')) return;
      const copied = parseCopied(ev.clipboardData?.getData('text/plain'));
      if (!copied) return;
      ev.preventDefault();
      this.paste(copied);
    });
    cy.on('select unselect', () => this.schedulePanel());
    cy.on('dragfree', 'node', e => {
      const id = e.target.id();
      if (id === HANDLE) return;
      if (id === START || id === END) {
        this.movedSentinels.add(id);
        return;
      }
      this.pendingMoves.add(id);
      window.setTimeout(() => this.flushMoves(), 0);
    });
    cy.on('dbltap', 'node', e => {
      if (e.target.id() === HANDLE) return;
      this.panel
        .querySelector<HTMLInputElement>('.oc-field input, .oc-field textarea, .oc-code textarea, .oc-code .cm-content')
        ?.focus();
    });
    this.outline.addEventListener('click', ev => {
      const id = (ev.target as HTMLElement).closest('li')?.dataset.nodeId;
      if (!id) return;
      cy.elements().unselect();
      cy.getElementById(id).select();
    });
    this.root.addEventListener(
      'keydown',
      keyHandler(owns, {
        save: this.host.save,
        remove: () => this.deleteSelected(),
        undo: () => this.undo(),
        redo: () => this.redo(),
        selectAll: () => cy.nodes().not(`#${HANDLE}`).select(),
        unselect: () => {
          cy.elements().unselect();
          this.tooltip.hide();
          this.toggleHelp(false);
        },
        onGraph: ev => ev.target === this.graphEl,
        navigate: (dir, extend) => this.navigate(dir, extend),
        connect: () => void this.connectSelected(),
        open: () => {
          // The panel follows the selection a moment later: Enter pressed right after an
          // arrow must open the form of the node now selected, not the one before it.
          const { nodes } = this.selection();
          const shown = this.panel.querySelector<HTMLElement>('.oc-node-panel')?.dataset.nodeId;
          if (nodes.length === 1 && nodes[0] !== shown) {
            window.clearTimeout(this.panelTimer);
            this.renderPanel();
          }
          this.panel
            .querySelector<HTMLElement>('.oc-field input, .oc-field textarea, textarea.oc-code, input.oc-node-id')
            ?.focus();
        },
        leavePanel: ev => {
          const target = ev.target as HTMLElement;
          // The code editor keeps Escape (it closes its completion list).
          if (!this.panel.contains(target) || target.closest('.cm-editor')) return false;
          this.graphEl.focus(); // a field edited there is committed as its focus leaves
          return true;
        },
        copy: () => void this.copy(),
        cut: () => this.cut(),
        paste: () => void this.paste(),
        duplicate: () => void this.duplicate(),
        note: () => void this.addNote(),
        minimap: () => this.toggleMinimap(),
        help: () => this.toggleHelp(),
        zoom: factor => {
          const z = cy.zoom() * factor;
          cy.zoom({
            level: Math.max(cy.minZoom(), Math.min(cy.maxZoom(), z)),
            renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 }
          });
        },
        fit: () => this.fit()
      })
    );
  }

  private flushMoves(): void {
    if (!this.pendingMoves.size) return;
    const positions: Record<string, Position> = {};
    const stored = this.doc.canvas.positions;
    for (const id of this.pendingMoves) {
      const ele = this.cy.getElementById(id);
      if (ele.empty()) continue;
      const p = roundPos(ele.position());
      const s = stored[id];
      if (!s || s.x !== p.x || s.y !== p.y) positions[id] = p;
    }
    this.pendingMoves.clear();
    if (!Object.keys(positions).length) return;
    if (this.readOnly) return;
    const n = Object.keys(positions).length;
    this.edit([{ op: 'move', positions }], n === 1 ? 'move node' : `move ${n} nodes`);
  }
}

/** The workflow's nodes (none for a script document, whose nodes are its index). */
function irNodes(doc: WorkflowDocument): IRNode[] {
  return doc.graph.format === 'frozen-ir' ? doc.graph.ir.nodes : [];
}
