/**
 * Keeping cytoscape in line with the document: the first batched render, the
 * reconcile after each change, and the decorations (validation badges, run
 * states, durations) plus the accessible outline of node ids.
 */

import cytoscape from 'cytoscape';
import { Elements, sentinelPositions } from './elements';
import { NodeRun, RunSnapshot, formatDuration, runStatusText, stateLabel } from './overlay';
import { CardPainter } from './cards';
import { RUN_STATES, stylesheet } from './style';
import { Theme } from './theme';
import { END, START, Position, Problem, WorkflowDocument } from './types';

/** Id of the connection handle (a transient cytoscape node, never part of the document). */
export const HANDLE = '__oc_handle__';

/** Above this many nodes, rendering switches to its cheaper viewport modes. */
const LARGE = 200;

/** The cytoscape instance; large graphs pan and zoom a texture and draw at pixel ratio 1. */
export function createCy(container: HTMLElement, size: number, theme: Theme): cytoscape.Core {
  const large = size > LARGE;
  return cytoscape({
    container,
    style: stylesheet(theme),
    elements: [],
    minZoom: 0.02,
    maxZoom: 3,
    boxSelectionEnabled: true,
    // A click selects one element; Shift/Ctrl/Cmd-click and Shift-drag add to the selection.
    selectionType: 'single',
    textureOnViewport: large,
    hideEdgesOnViewport: large,
    motionBlur: false,
    pixelRatio: large ? 1 : 'auto'
  });
}

function nodeData(n: Elements['nodes'][number]): Record<string, string> {
  return { id: n.id, base: n.label, label: n.label, kind: n.kind, type: n.type };
}

/** First render: one batched add; returns whether positions were missing (a layout is due). */
export function renderAll(cy: cytoscape.Core, doc: WorkflowDocument, els: Elements): boolean {
  const stored = doc.canvas.positions;
  const needLayout = els.nodes.some(n => n.kind !== 'sentinel' && !stored[n.id]);
  const sentinels = needLayout ? {} : sentinelPositions(els, id => stored[id]);
  const defs: cytoscape.ElementDefinition[] = [];
  for (const n of els.nodes) {
    const position = stored[n.id] ?? sentinels[n.id] ?? { x: 0, y: 0 };
    defs.push({ group: 'nodes', data: nodeData(n), position: { x: position.x, y: position.y } });
  }
  for (const e of els.edges) defs.push({ group: 'edges', data: { ...e } });
  cy.batch(() => {
    cy.elements().remove();
    cy.add(defs);
  });
  return needLayout;
}

export interface ReconcileOptions {
  /** Move existing nodes to their stored positions (undo, remote changes). */
  movePositions: boolean;
  /** Sentinels the user dragged keep their place. */
  movedSentinels: Set<string>;
  /** Where a node without a stored position goes. */
  placeFor: (id: string) => Position;
}

/** Add, remove and update only what changed; selection survives. */
export function reconcile(cy: cytoscape.Core, doc: WorkflowDocument, els: Elements, opts: ReconcileOptions): void {
  const stored = doc.canvas.positions;
  const wantNodes = new Map(els.nodes.map(n => [n.id, n]));
  const wantEdges = new Map(els.edges.map(e => [e.id, e]));
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
        const p = stored[n.id] ?? opts.placeFor(n.id);
        add.push({ group: 'nodes', data: nodeData(n), position: { x: p.x, y: p.y } });
        continue;
      }
      if (ele.data('base') !== n.label || ele.data('type') !== n.type) {
        ele.data({ base: n.label, label: n.label, kind: n.kind, type: n.type });
      }
      const p = stored[n.id];
      if (opts.movePositions && p) {
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
    const sentinels = sentinelPositions(els, id =>
      wantNodes.get(id)?.kind === 'sentinel' ? undefined : cy.getElementById(id).position()
    );
    for (const id of [START, END]) {
      if (!opts.movedSentinels.has(id)) cy.getElementById(id).position(sentinels[id]);
    }
    for (const id of selected) cy.getElementById(id).select();
  });
}

/**
 * Validation badges and run-state colours as classes, durations in labels; outline attributes.
 * Once a run has finished, the nodes it never reached (a branch not taken, the nodes after a
 * failure) are drawn faded and dashed, so a 3-of-4 run does not look like a fault.
 */
export function decorate(
  cy: cytoscape.Core,
  outline: HTMLElement,
  problems: Problem[],
  runNodes: Record<string, NodeRun>,
  painter?: CardPainter,
  finished = false
): void {
  const errors = new Set<string>();
  const warnings = new Set<string>();
  for (const p of problems) {
    if (!p.node) continue;
    const top = p.node.split('/')[0];
    (p.severity === 'error' ? errors : warnings).add(top);
  }
  const runClasses = RUN_STATES.map(s => `run-${s}`).join(' ');
  cy.batch(() => {
    cy.nodes('.problem-error, .problem-warning').removeClass('problem-error problem-warning');
    for (const id of errors) cy.getElementById(id).addClass('problem-error');
    for (const id of warnings) if (!errors.has(id)) cy.getElementById(id).addClass('problem-warning');
    cy.nodes('.has-run').forEach(n => {
      if (!runNodes[n.id()]) n.removeClass(`has-run ${runClasses}`).data('label', n.data('base'));
    });
    cy.nodes('.run-warning').removeClass('run-warning');
    cy.nodes('.run-unreached')
      .removeClass('run-unreached')
      .forEach(n => {
        n.data('label', n.data('base'));
      });
    if (finished) {
      cy.nodes().forEach(n => {
        if (runNodes[n.id()] || !n.data('kind') || n.data('kind') === 'sentinel') return;
        n.addClass('run-unreached').data('label', `${n.data('base')}\nnot reached`);
      });
    }
    // The connections a run went along, and (once it has finished) those it never took.
    cy.edges('.run-taken, .run-untaken').removeClass('run-taken run-untaken');
    if (Object.keys(runNodes).length) {
      const ran = (id: string): boolean => Boolean(runNodes[id]) || id === START || id === END;
      // A fork's carried nodes were reached by the run it came from, not by this one: the
      // connections among them (and from start to them) are neither taken nor untaken here.
      const here = (id: string): boolean => Boolean(runNodes[id]) && runNodes[id].status !== 'carried';
      const before = (id: string): boolean => runNodes[id]?.status === 'carried' || id === START;
      cy.edges().forEach(e => {
        const [s, t] = [e.data('source') as string, e.data('target') as string];
        if (ran(s) && ran(t) && (here(s) || here(t))) e.addClass('run-taken');
        else if (finished && !(before(s) && before(t))) e.addClass('run-untaken');
      });
    }
    for (const [id, state] of Object.entries(runNodes)) {
      const ele = cy.getElementById(id);
      if (ele.empty()) continue;
      ele.removeClass(runClasses).addClass(`has-run run-${state.status}`);
      if (state.warnings?.length) ele.addClass('run-warning');
      const dur = formatDuration(state.durationMs);
      const note = state.status === 'interrupted' || state.status === 'carried' ? stateLabel(state.status) : dur;
      const warned = state.warnings?.length ? `warning · ${note}`.trim() : note;
      ele.data('label', warned ? `${ele.data('base')}\n${warned}` : ele.data('base'));
    }
  });
  if (painter) {
    const looks = new Map<string, 'error' | 'warning'>();
    for (const id of warnings) looks.set(id, 'warning');
    for (const id of errors) looks.set(id, 'error');
    painter.paint(cy, looks);
  }
  for (const li of Array.from(outline.children) as HTMLElement[]) {
    const id = li.dataset.nodeId ?? '';
    const state = runNodes[id];
    if (state) li.setAttribute('data-run-status', state.status);
    else if (finished && id) li.setAttribute('data-run-status', 'not-reached');
    else li.removeAttribute('data-run-status');
    if (state?.warnings?.length) li.setAttribute('data-run-warnings', String(state.warnings.length));
    else li.removeAttribute('data-run-warnings');
    if (errors.has(id)) li.setAttribute('data-problem', 'error');
    else if (warnings.has(id)) li.setAttribute('data-problem', 'warning');
    else li.removeAttribute('data-problem');
  }
}

/** The visually hidden list of node ids (screen readers, tests): rebuilt only when ids change. */
export function updateOutline(outline: HTMLElement, ids: string[]): void {
  const existing = Array.from(outline.children) as HTMLElement[];
  if (existing.length === ids.length && existing.every((li, i) => li.dataset.nodeId === ids[i])) return;
  const frag = document.createDocumentFragment();
  for (const id of ids) {
    const li = document.createElement('li');
    li.dataset.nodeId = id;
    li.textContent = id;
    frag.append(li);
  }
  outline.replaceChildren(frag);
}

/**
 * The toolbar's status text: the run's progress, or the document's mode. "2/3 done"
 * means two of the workflow's three nodes, not two of the nodes the run reached so far.
 */
export function statusLine(run: RunSnapshot | null, readOnly: boolean, nodeIds: string[]): string {
  if (!run) return readOnly ? 'read-only' : '';
  const ids = new Set(nodeIds);
  // Nodes the run names that the drawn graph lacks (e.g. a nested node) still count.
  for (const id of Object.keys(run.nodes)) if (!id.includes('/')) ids.add(id);
  const done = [...ids].filter(id => run.nodes[id]?.status === 'succeeded').length;
  const line = `Run ${run.id ? run.id.slice(0, 8) : ''}: ${runStatusText(run)} · ${done}/${ids.size} nodes done`;
  // A fork names the results it started with (those nodes ran in the run it came from).
  const carried = [...ids].filter(id => run.nodes[id]?.status === 'carried').length;
  const forked = carried ? `${line} · ${carried} carried over` : line;
  if (!run.finishedAt) return forked;
  // A finished run that "succeeded" with 3/4 done reads as a fault; say which nodes it never
  // reached (a branch not taken, or the nodes after a failure).
  const skipped = [...ids].filter(id => !run.nodes[id]);
  if (!skipped.length) return forked;
  const names = skipped.length <= 3 ? ` (${skipped.join(', ')})` : '';
  return `${forked} · ${skipped.length} not reached${names}`;
}
