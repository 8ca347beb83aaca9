/**
 * The canvas editor shared by the notebook widget and the JupyterLab document.
 *
 * The editor keeps a local copy of the document. A user action becomes a batch of
 * small diffs: applied locally (so the UI never waits), pushed on the undo stack,
 * and handed to the host, which forwards them to Python or to the Lab document
 * model. Cytoscape is reconciled from the document after every change.
 */

import cytoscape from 'cytoscape';
import edgehandles from 'cytoscape-edgehandles';
import { apply, applyAll, clone, DiffError, freshId, irOf, isEditable, normalize } from './doc';
import { buildElements, EdgeDef, Elements, sentinelPositions } from './elements';
import { h } from './form';
import { History } from './history';
import { layoutDagre, registerExtensions, roundPos } from './layout';
import { emptyRun, foldEvent, formatDuration, RunSnapshot } from './overlay';
import { CODE_TYPE, DRAG_MIME, Palette } from './palette';
import { renderPanel } from './panel';
import { RUN_COLOURS, stylesheet } from './style';
import { END, START, CanvasHost, CatalogEntry, Diff, IRNode, Position, Problem, RunEvent, WorkflowDocument } from './types';
import { localProblems } from './validate';

const HANDLE = '__oc_handle__';
/** Above this many nodes, rendering switches to its cheaper viewport modes. */
const LARGE = 200;

let extensionsReady = false;
function ensureExtensions(): void {
  if (extensionsReady) return;
  extensionsReady = true;
  registerExtensions();
  cytoscape.use(edgehandles);
}

export interface EditorOptions {
  /** Validation comes from the host (Python); otherwise the canvas validates locally. */
  hostProblems?: boolean;
  height?: string;
  /** Force read-only (script documents are read-only regardless). */
  readOnly?: boolean;
}

interface EdgeHandles {
  start(node: cytoscape.NodeSingular): void;
  stop(): void;
  destroy(): void;
}

export class CanvasEditor {
  readonly root: HTMLElement;
  readonly cy: cytoscape.Core;
  private doc: WorkflowDocument;
  private catalog = new Map<string, CatalogEntry>();
  private problems: Problem[] = [];
  private run: RunSnapshot | null = null;
  private readonly history = new History();
  private edgeDefs = new Map<string, EdgeDef>();
  private readonly palette: Palette;
  private readonly panel: HTMLElement;
  private readonly toastEl: HTMLElement;
  private readonly statusEl: HTMLElement;
  private readonly outline: HTMLElement;
  private readonly graphEl: HTMLElement;
  private readonly buttons: Record<string, HTMLButtonElement> = {};
  private readonly eh: EdgeHandles | null = null;
  private handleFor: string | null = null;
  private handleTimer = 0;
  private pendingMoves = new Set<string>();
  private movedSentinels = new Set<string>();
  private panelTimer = 0;
  private toastTimer = 0;
  private readonly forcedReadOnly: boolean;

  constructor(
    root: HTMLElement,
    private readonly host: CanvasHost,
    doc: WorkflowDocument,
    catalog: CatalogEntry[],
    private readonly options: EditorOptions = {}
  ) {
    ensureExtensions();
    this.root = root;
    this.doc = normalize(clone(doc));
    this.forcedReadOnly = !!options.readOnly;
    for (const entry of catalog) this.catalog.set(entry.type, entry);

    root.classList.add('orcheo-canvas');
    root.setAttribute('data-orcheo-canvas', '');
    root.setAttribute('data-lm-suppress-shortcuts', 'true');
    root.tabIndex = 0;
    if (options.height) root.style.height = options.height;
    (root as unknown as { orcheoCanvas: CanvasEditor }).orcheoCanvas = this;

    this.statusEl = h('span', { class: 'oc-status', role: 'status' });
    const toolbar = h('div', { class: 'oc-toolbar' });
    const button = (name: string, text: string, title: string, action: () => void): void => {
      const b = h('button', { type: 'button', class: 'oc-button', 'data-action': name, title }, text);
      b.addEventListener('click', () => {
        action();
        this.root.focus({ preventScroll: true });
      });
      this.buttons[name] = b;
      toolbar.append(b);
    };
    button('undo', '↶ Undo', 'Undo (Ctrl+Z)', () => this.undo());
    button('redo', '↷ Redo', 'Redo (Ctrl+Y)', () => this.redo());
    button('layout', '⊞ Layout', 'Arrange the graph automatically', () => this.autoLayout());
    button('fit', '⤢ Fit', 'Zoom to fit', () => this.fit());
    button('delete', '✕ Delete', 'Delete the selection (Delete)', () => this.deleteSelected());
    if (host.run) button('run', '▶ Run', 'Run this workflow', () => host.run?.());
    if (host.save) button('save', '💾 Save', 'Save (Ctrl+S)', () => host.save?.());
    button('clear-run', 'Clear run', 'Hide the run overlay', () => this.clearRun());
    toolbar.append(this.statusEl);

    this.palette = new Palette(type => this.addNode(type));
    this.graphEl = h('div', { class: 'oc-graph' });
    this.panel = h('div', { class: 'oc-panel' });
    this.toastEl = h('div', { class: 'oc-toast', role: 'alert', hidden: '' });
    this.outline = h('ul', { class: 'oc-outline', 'aria-label': 'Workflow nodes' });
    const body = h('div', { class: 'oc-body' }, this.palette.element, this.graphEl, this.panel);
    root.replaceChildren(toolbar, body, this.toastEl, this.outline);

    const size = buildElements(this.doc).nodes.length;
    const large = size > LARGE;
    this.cy = cytoscape({
      container: this.graphEl,
      style: stylesheet(),
      elements: [],
      minZoom: 0.02,
      maxZoom: 3,
      boxSelectionEnabled: true,
      selectionType: 'additive',
      textureOnViewport: large,
      hideEdgesOnViewport: large,
      motionBlur: false,
      pixelRatio: large ? 1 : 'auto'
    });
    const ext = (this.cy as unknown as { edgehandles?: (o: object) => EdgeHandles }).edgehandles;
    if (ext) {
      this.eh = ext.call(this.cy, {
        canConnect: (s: cytoscape.NodeSingular, t: cytoscape.NodeSingular) => this.canConnect(s.id(), t.id()),
        edgeParams: () => ({ classes: 'oc-temp-edge' }),
        hoverDelay: 100,
        snap: true,
        snapThreshold: 30,
        noEdgeEventsInDraw: true,
        disableBrowserGestures: true
      });
    }
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
    this.history.clear();
    this.afterChange(true);
    return true;
  }

  setCatalog(catalog: CatalogEntry[]): void {
    this.catalog = new Map(catalog.map(c => [c.type, c]));
    this.palette.setCatalog(catalog);
    this.afterChange(false);
  }

  setProblems(problems: Problem[]): void {
    this.problems = problems;
    this.decorate();
    this.schedulePanel();
  }

  /** Fold one live run event into the overlay. */
  runEvent(ev: RunEvent): void {
    if (!this.run || (ev.run_id && this.run.id && ev.run_id !== this.run.id)) {
      if (ev.type !== 'run_started' && this.run && this.run.id && ev.run_id !== this.run.id) {
        this.run = emptyRun(ev.run_id ?? null);
      } else if (!this.run || ev.type === 'run_started') {
        this.run = emptyRun(ev.run_id ?? null);
      }
    }
    if (foldEvent(this.run, ev)) {
      this.decorate();
      this.schedulePanel();
    }
  }

  /** Replay a whole run (e.g. a view opened after the run). */
  setRun(events: RunEvent[]): void {
    this.run = events.length ? emptyRun(events[0].run_id ?? null) : null;
    for (const ev of events) if (this.run) foldEvent(this.run, ev);
    this.decorate();
    this.schedulePanel();
  }

  clearRun(): void {
    this.run = null;
    this.decorate();
    this.schedulePanel();
  }

  get runSnapshot(): RunSnapshot | null {
    return this.run;
  }

  /** Show a message over the canvas (e.g. an edit the host refused). */
  toast(message: string, kind: 'error' | 'info' = 'error'): void {
    this.toastEl.textContent = message;
    this.toastEl.className = `oc-toast oc-toast-${kind}`;
    this.toastEl.hidden = false;
    window.clearTimeout(this.toastTimer);
    this.toastTimer = window.setTimeout(() => (this.toastEl.hidden = true), kind === 'error' ? 8000 : 3000);
  }

  /** Client (viewport) coordinates of a node's centre: used by tests and tools. */
  nodeClientPosition(id: string): Position | null {
    const ele = this.cy.getElementById(id);
    if (ele.empty()) return null;
    const p = ele.renderedPosition();
    const rect = this.graphEl.getBoundingClientRect();
    return { x: rect.left + p.x, y: rect.top + p.y };
  }

  /** Bring a node whose centre is off screen into view: fit all if readable, else centre it. */
  private reveal(ele: cytoscape.CollectionReturnValue): void {
    const ext = this.cy.extent();
    const p = (ele as cytoscape.NodeSingular).position();
    const margin = 20 / this.cy.zoom();
    if (p.x > ext.x1 + margin && p.x < ext.x2 - margin && p.y > ext.y1 + margin && p.y < ext.y2 - margin) return;
    const all = this.cy.nodes().not(`#${HANDLE}`);
    const abb = all.boundingBox({});
    const zoom = Math.min(this.cy.width() / (abb.w + 60), this.cy.height() / (abb.h + 60));
    if (zoom >= 0.5) this.cy.fit(all, 30);
    else this.cy.center(ele);
  }

  fit(): void {
    this.cy.fit(this.cy.nodes().not(`#${HANDLE}`), 30);
  }

  destroy(): void {
    document.removeEventListener('scroll', this.invalidateCoords, true);
    this.eh?.destroy();
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
    const batch = this.withStoredPositions(diffs);
    let undo: Diff[];
    try {
      undo = applyAll(this.doc, batch);
    } catch (err) {
      this.toast(err instanceof DiffError ? err.message : String(err));
      return false;
    }
    this.history.push({ label, redo: batch, undo });
    this.afterChange(false);
    this.send(batch);
    return true;
  }

  undo(): void {
    const step = this.history.takeUndo();
    if (!step) return;
    applyAll(this.doc, step.undo);
    this.afterChange(true);
    this.send(step.undo);
    this.toast(`Undid: ${step.label}`, 'info');
  }

  redo(): void {
    const step = this.history.takeRedo();
    if (!step) return;
    applyAll(this.doc, step.redo);
    this.afterChange(true);
    this.send(step.redo);
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
    const position = roundPos(at ?? this.freeSpotNearCentre());
    if (!this.edit([{ op: 'add_node', node, position }], `add ${id}`)) return null;
    this.cy.elements().unselect();
    const added = this.cy.getElementById(id);
    added.select();
    this.reveal(added);
    return id;
  }

  connect(source: string, target: string): boolean {
    if (!this.canConnect(source, target)) {
      this.toast(`Cannot connect ${source} to ${target}.`);
      return false;
    }
    return this.edit([{ op: 'add_edge', source, target }], `connect ${source} → ${target}`);
  }

  deleteSelected(): void {
    const nodes = this.cy.nodes(':selected').not(`#${HANDLE}`).map(n => n.id());
    const edges = this.cy
      .edges(':selected')
      .map(e => this.edgeDefs.get(e.id()))
      .filter((e): e is EdgeDef => !!e);
    this.remove(nodes, edges);
  }

  /** Delete nodes and edges with everything that points at them, as one undoable step. */
  remove(nodes: string[], edges: EdgeDef[]): void {
    if (this.readOnly || (!nodes.length && !edges.length)) return;
    const work = clone(this.doc);
    const diffs: Diff[] = [];
    const push = (d: Diff): void => {
      apply(work, d);
      diffs.push(d);
    };
    const ir = (): ReturnType<typeof irOf> => irOf(work);
    for (const e of edges) {
      if (e.kind === 'plain') {
        if (ir().edges.some(x => x.source === e.source && x.target === e.target)) push({ op: 'remove_edge', source: e.source, target: e.target });
      } else if (e.kind === 'implicit') {
        push({ op: 'set_entrypoint', id: null });
      } else {
        const cond = ir().conditional_edges.find(c => c.source === e.source);
        if (!cond) continue;
        const mapping = { ...cond.mapping };
        let fallback = cond.default ?? null;
        if (e.kind === 'route') delete mapping[e.label];
        else fallback = null;
        push({ op: 'set_conditional_edge', source: e.source, edge: { path: cond.path, mapping, default: fallback } });
      }
    }
    for (const id of nodes) {
      if (id === START || id === END || !ir().nodes.some(n => n.id === id)) continue;
      for (const e of ir().edges.filter(x => x.source === id || x.target === id)) {
        push({ op: 'remove_edge', source: e.source, target: e.target });
      }
      if (ir().conditional_edges.some(c => c.source === id)) push({ op: 'set_conditional_edge', source: id, edge: null });
      for (const c of ir().conditional_edges) {
        const hits = Object.entries(c.mapping).filter(([, t]) => t === id);
        if (!hits.length && c.default !== id) continue;
        const mapping = Object.fromEntries(Object.entries(c.mapping).filter(([, t]) => t !== id));
        push({ op: 'set_conditional_edge', source: c.source, edge: { path: c.path, mapping, default: c.default === id ? null : c.default ?? null } });
      }
      const graph = work.graph as { entrypoint?: string | null; ir: { entrypoint?: string | null } };
      if (graph.ir.entrypoint === id || graph.entrypoint === id) push({ op: 'set_entrypoint', id: null });
      push({ op: 'remove_node', id });
    }
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
    if (this.readOnly || source === HANDLE || target === HANDLE) return false;
    if (source === target || source === END || target === START) return false;
    const ir = irOf(this.doc);
    return !ir.edges.some(e => e.source === source && e.target === target);
  }

  /** Positions of every node go into the document with the first edit of a doc that had none. */
  private withStoredPositions(diffs: Diff[]): Diff[] {
    if (!isEditable(this.doc)) return diffs;
    const stored = this.doc.canvas.positions;
    const ir = irOf(this.doc);
    const missing = ir.nodes.filter(n => !stored[n.id]);
    if (!missing.length) return diffs;
    const positions: Record<string, Position> = {};
    for (const n of missing) {
      const ele = this.cy.getElementById(n.id);
      if (ele.nonempty()) positions[n.id] = roundPos(ele.position());
    }
    return Object.keys(positions).length ? [{ op: 'move', positions }, ...diffs] : diffs;
  }

  private freeSpotNearCentre(): Position {
    const ext = this.cy.extent();
    const p = { x: (ext.x1 + ext.x2) / 2, y: (ext.y1 + ext.y2) / 2 };
    const taken = (q: Position): boolean =>
      this.cy.nodes().toArray().some(n => {
        const p = (n as cytoscape.NodeSingular).position();
        return Math.abs(p.x - q.x) < 180 && Math.abs(p.y - q.y) < 70;
      });
    for (let i = 0; i < 60 && taken(p); i++) p.y += 80;
    return p;
  }

  private nodeData(n: Elements['nodes'][number]): Record<string, string> {
    return { id: n.id, base: n.label, label: n.label, kind: n.kind, type: n.type };
  }

  /** First render: one batched add, and a layout only when positions are missing. */
  private load(): void {
    const els = buildElements(this.doc);
    this.edgeDefs = new Map(els.edges.map(e => [e.id, e]));
    const stored = this.doc.canvas.positions;
    const needLayout = els.nodes.some(n => n.kind !== 'sentinel' && !stored[n.id]);
    const sentinels = needLayout ? {} : sentinelPositions(els, id => stored[id]);
    const defs: cytoscape.ElementDefinition[] = [];
    for (const n of els.nodes) {
      const position = stored[n.id] ?? sentinels[n.id] ?? { x: 0, y: 0 };
      defs.push({ group: 'nodes', data: this.nodeData(n), position: { x: position.x, y: position.y } });
    }
    for (const e of els.edges) defs.push({ group: 'edges', data: { ...e } });
    this.cy.batch(() => {
      this.cy.elements().remove();
      this.cy.add(defs);
    });
    if (needLayout) layoutDagre(this.cy.elements());
    const vp = this.doc.canvas.viewport;
    if (vp && !needLayout) this.cy.viewport({ zoom: vp.zoom, pan: { x: vp.x, y: vp.y } });
    else this.fit();
    this.cy.autoungrabify(false);
    this.afterChange(false, els);
  }

  /** Bring cytoscape, counts, outline, problems and the panel in line with the document. */
  private afterChange(movePositions: boolean, prebuilt?: Elements): void {
    const els = prebuilt ?? buildElements(this.doc);
    if (!prebuilt) this.reconcile(els, movePositions);
    this.root.toggleAttribute('data-read-only', this.readOnly);
    this.root.classList.toggle('oc-read-only', this.readOnly);
    this.palette.element.hidden = this.readOnly;
    const workflowNodes = els.nodes.filter(n => n.kind !== 'sentinel');
    this.root.setAttribute('data-node-count', String(workflowNodes.length));
    this.root.setAttribute('data-edge-count', String(els.edges.length));
    this.updateOutline(workflowNodes.map(n => n.id));
    if (!this.options.hostProblems) this.problems = localProblems(this.doc, [...this.catalog.values()]);
    this.decorate();
    this.updateButtons();
    this.schedulePanel();
  }

  private reconcile(els: Elements, movePositions: boolean): void {
    const cy = this.cy;
    const stored = this.doc.canvas.positions;
    const wantNodes = new Map(els.nodes.map(n => [n.id, n]));
    const wantEdges = new Map(els.edges.map(e => [e.id, e]));
    this.edgeDefs = wantEdges;
    const selected = new Set(cy.$(':selected').map(e => e.id()));
    cy.batch(() => {
      cy.edges().forEach(e => {
        const want = wantEdges.get(e.id());
        if (!want || want.source !== e.source().id() || want.target !== e.target().id()) e.remove();
      });
      cy.nodes().forEach(n => {
        if (n.id() !== HANDLE && !wantNodes.has(n.id())) n.remove();
      });
      const add: cytoscape.ElementDefinition[] = [];
      for (const n of els.nodes) {
        const ele = cy.getElementById(n.id);
        if (ele.empty()) {
          const p = stored[n.id] ?? this.placeFor(n.id, els);
          add.push({ group: 'nodes', data: this.nodeData(n), position: { x: p.x, y: p.y } });
          continue;
        }
        if (ele.data('base') !== n.label || ele.data('type') !== n.type) ele.data({ base: n.label, label: n.label, kind: n.kind, type: n.type });
        const p = stored[n.id];
        if (movePositions && p) {
          const cur = ele.position();
          if (Math.abs(cur.x - p.x) > 0.05 || Math.abs(cur.y - p.y) > 0.05) ele.position({ x: p.x, y: p.y });
        }
      }
      if (add.length) cy.add(add);
      const edgeAdds: cytoscape.ElementDefinition[] = [];
      for (const e of els.edges) {
        const ele = cy.getElementById(e.id);
        if (ele.empty()) edgeAdds.push({ group: 'edges', data: { ...e } });
        else if (ele.data('label') !== e.label) ele.data('label', e.label);
      }
      if (edgeAdds.length) cy.add(edgeAdds);
      const sentinels = sentinelPositions(els, id => (wantNodes.get(id)?.kind === 'sentinel' ? undefined : cy.getElementById(id).position()));
      for (const id of [START, END]) {
        if (!this.movedSentinels.has(id)) cy.getElementById(id).position(sentinels[id]);
      }
      for (const id of selected) cy.getElementById(id).select();
    });
  }

  /** A spot for a node that arrived without a position: under its first predecessor. */
  private placeFor(id: string, els: Elements): Position {
    const pred = els.edges.find(e => e.target === id && e.source !== START);
    const p = pred ? this.cy.getElementById(pred.source) : null;
    if (p && p.nonempty()) return { x: p.position('x'), y: p.position('y') + 110 };
    return this.freeSpotNearCentre();
  }

  /** Validation badges and run-state colours as classes; durations in labels. */
  private decorate(): void {
    const cy = this.cy;
    const errors = new Set<string>();
    const warnings = new Set<string>();
    for (const p of this.problems) {
      if (!p.node) continue;
      const top = p.node.split('/')[0];
      (p.severity === 'error' ? errors : warnings).add(top);
    }
    const runNodes = this.run?.nodes ?? {};
    const runClasses = Object.keys(RUN_COLOURS).map(s => `run-${s}`).join(' ');
    cy.batch(() => {
      cy.nodes('.problem-error, .problem-warning').removeClass('problem-error problem-warning');
      for (const id of errors) cy.getElementById(id).addClass('problem-error');
      for (const id of warnings) if (!errors.has(id)) cy.getElementById(id).addClass('problem-warning');
      cy.nodes('.has-run').forEach(n => {
        if (!runNodes[n.id()]) n.removeClass(`has-run ${runClasses}`).data('label', n.data('base'));
      });
      for (const [id, state] of Object.entries(runNodes)) {
        const ele = cy.getElementById(id);
        if (ele.empty()) continue;
        ele.removeClass(runClasses).addClass(`has-run run-${state.status}`);
        const dur = formatDuration(state.durationMs);
        ele.data('label', dur ? `${ele.data('base')}\n${dur}` : ele.data('base'));
      }
    });
    for (const li of Array.from(this.outline.children) as HTMLElement[]) {
      const id = li.dataset.nodeId ?? '';
      const state = runNodes[id];
      if (state) li.setAttribute('data-run-status', state.status);
      else li.removeAttribute('data-run-status');
      if (errors.has(id)) li.setAttribute('data-problem', 'error');
      else if (warnings.has(id)) li.setAttribute('data-problem', 'warning');
      else li.removeAttribute('data-problem');
    }
    if (this.run) {
      const states = Object.values(runNodes);
      const done = states.filter(s => s.status === 'succeeded').length;
      this.statusEl.textContent = `Run ${this.run.id ? this.run.id.slice(0, 8) : ''}: ${this.run.status} · ${done}/${states.length} nodes done`;
      this.root.setAttribute('data-run-status', this.run.status);
    } else {
      this.statusEl.textContent = this.readOnly ? 'read-only' : '';
      this.root.removeAttribute('data-run-status');
    }
    this.buttons['clear-run'].hidden = !this.run;
  }

  private updateOutline(ids: string[]): void {
    const existing = Array.from(this.outline.children) as HTMLElement[];
    if (existing.length === ids.length && existing.every((li, i) => li.dataset.nodeId === ids[i])) return;
    const frag = document.createDocumentFragment();
    for (const id of ids) {
      const li = document.createElement('li');
      li.dataset.nodeId = id;
      li.textContent = id;
      frag.append(li);
    }
    this.outline.replaceChildren(frag);
  }

  private updateButtons(): void {
    this.buttons.undo.disabled = !this.history.canUndo || this.readOnly;
    this.buttons.redo.disabled = !this.history.canRedo || this.readOnly;
    this.buttons.delete.disabled = this.readOnly;
    this.buttons.layout.disabled = false;
  }

  private schedulePanel(): void {
    window.clearTimeout(this.panelTimer);
    this.panelTimer = window.setTimeout(() => this.renderPanel(), 30);
  }

  private renderPanel(): void {
    // Never rebuild the form under the user's cursor while they type.
    const active = document.activeElement;
    if (active && this.panel.contains(active) && active.matches('input[type=text], textarea')) {
      this.panelTimer = window.setTimeout(() => this.renderPanel(), 400);
      return;
    }
    const nodes = this.cy.nodes(':selected').not(`#${HANDLE}`).map(n => n.id());
    const edges = this.cy
      .edges(':selected')
      .map(e => this.edgeDefs.get(e.id()))
      .filter((e): e is EdgeDef => !!e);
    renderPanel(
      this.panel,
      {
        doc: this.doc,
        catalog: this.catalog,
        problems: this.problems,
        run: this.run,
        readOnly: this.readOnly,
        credentials: () => this.host.credentials(),
        edit: (diffs, label) => this.edit(diffs, label),
        remove: (n, e) => this.remove(n, e),
        select: id => {
          this.cy.elements().unselect();
          const ele = this.cy.getElementById(id);
          ele.select();
          this.cy.animate({ center: { eles: ele } }, { duration: 200 });
        }
      },
      nodes,
      edges
    );
  }

  // --- events ----------------------------------------------------------------------
  /**
   * Cytoscape caches where its container is and listens for scrolls only on the
   * ancestors it had when created; a widget is often created before it is attached
   * (and notebooks scroll inside panels), so re-measure when that may have changed.
   */
  private readonly invalidateCoords = (): void => {
    (this.cy as unknown as { renderer(): { invalidateContainerClientCoordsCache?: () => void } })
      .renderer()
      .invalidateContainerClientCoordsCache?.();
  };

  private bindEvents(): void {
    const cy = this.cy;
    document.addEventListener('scroll', this.invalidateCoords, true);
    this.graphEl.addEventListener('mouseenter', this.invalidateCoords);
    this.graphEl.addEventListener('pointerdown', this.invalidateCoords, true);
    // Clicking the graph gives the canvas the keyboard (Delete, Ctrl+Z...).
    const takeFocus = (): void => {
      if (document.activeElement !== this.root) this.root.focus({ preventScroll: true });
    };
    // Cytoscape blurs the active element on mousedown, so focus again once it is done.
    this.graphEl.addEventListener('pointerdown', takeFocus);
    this.graphEl.addEventListener('mouseup', takeFocus);
    this.graphEl.addEventListener('click', takeFocus);
    this.graphEl.addEventListener('wheel', this.invalidateCoords, { capture: true, passive: true });
    cy.on('select unselect', () => this.schedulePanel());
    cy.on('grab', 'node', () => this.hideHandle());
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
    cy.on('mouseover', 'node', e => {
      const n = e.target as cytoscape.NodeSingular;
      if (n.id() === HANDLE) {
        window.clearTimeout(this.handleTimer);
        return;
      }
      if (this.readOnly || n.id() === END || n.grabbed()) return;
      this.showHandle(n);
    });
    cy.on('mouseout', 'node', () => {
      window.clearTimeout(this.handleTimer);
      this.handleTimer = window.setTimeout(() => this.hideHandle(), 700);
    });
    cy.on('tapstart', `#${HANDLE}`, () => {
      window.clearTimeout(this.handleTimer);
      const source = this.handleFor ? cy.getElementById(this.handleFor) : null;
      if (source && source.nonempty()) this.eh?.start(source);
    });
    cy.on('ehcomplete', (_e: unknown, source: cytoscape.NodeSingular, target: cytoscape.NodeSingular, added: cytoscape.EdgeCollection) => {
      added.remove();
      this.connect(source.id(), target.id());
    });
    cy.on('ehstop', () => this.hideHandle());
    cy.on('dbltap', 'node', e => {
      const id = e.target.id();
      if (id !== HANDLE) this.panel.querySelector<HTMLInputElement>('.oc-field input, .oc-field textarea, textarea.oc-code')?.focus();
    });

    this.graphEl.addEventListener('dragover', ev => {
      if (this.readOnly) return;
      if (ev.dataTransfer?.types.includes(DRAG_MIME) || ev.dataTransfer?.types.includes('text/plain')) {
        ev.preventDefault();
        ev.dataTransfer.dropEffect = 'copy';
      }
    });
    this.graphEl.addEventListener('drop', ev => {
      const type = ev.dataTransfer?.getData(DRAG_MIME) || ev.dataTransfer?.getData('text/plain');
      if (!type || this.readOnly) return;
      ev.preventDefault();
      const rect = this.graphEl.getBoundingClientRect();
      const pan = this.cy.pan();
      const zoom = this.cy.zoom();
      this.addNode(type, { x: (ev.clientX - rect.left - pan.x) / zoom, y: (ev.clientY - rect.top - pan.y) / zoom });
    });
    this.outline.addEventListener('click', ev => {
      const id = (ev.target as HTMLElement).closest('li')?.dataset.nodeId;
      if (!id) return;
      this.cy.elements().unselect();
      this.cy.getElementById(id).select();
    });
    this.root.addEventListener('keydown', ev => this.onKey(ev));
  }

  private onKey(ev: KeyboardEvent): void {
    const mod = ev.ctrlKey || ev.metaKey;
    const key = ev.key.toLowerCase();
    if (mod && key === 's') {
      if (this.host.save) {
        ev.preventDefault();
        ev.stopPropagation();
        this.host.save();
      }
      return;
    }
    // Keys typed on the canvas are the canvas's: keep notebook command-mode shortcuts away.
    ev.stopPropagation();
    const target = ev.target as HTMLElement;
    if (target.closest('input, textarea, select, [contenteditable="true"]')) return;
    if (ev.key === 'Delete' || ev.key === 'Backspace') {
      ev.preventDefault();
      this.deleteSelected();
    } else if (mod && key === 'z' && !ev.shiftKey) {
      ev.preventDefault();
      this.undo();
    } else if (mod && (key === 'y' || (key === 'z' && ev.shiftKey))) {
      ev.preventDefault();
      this.redo();
    } else if (mod && key === 'a') {
      ev.preventDefault();
      this.cy.nodes().not(`#${HANDLE}`).select();
    } else if (ev.key === 'Escape') {
      this.cy.elements().unselect();
    }
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

  private showHandle(node: cytoscape.NodeSingular): void {
    window.clearTimeout(this.handleTimer);
    this.handleFor = node.id();
    const p = node.position();
    const at = { x: p.x, y: p.y + node.height() / 2 + 9 };
    let handle = this.cy.getElementById(HANDLE);
    if (handle.empty()) {
      handle = this.cy.add({ group: 'nodes', data: { id: HANDLE }, classes: 'oc-handle', position: at, grabbable: false, selectable: false });
    } else {
      handle.position(at);
    }
  }

  private hideHandle(): void {
    window.clearTimeout(this.handleTimer);
    const handle = this.cy.getElementById(HANDLE);
    if (handle.nonempty()) handle.remove();
    this.handleFor = null;
  }
}
