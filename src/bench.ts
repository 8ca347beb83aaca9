/**
 * Benchmark page bundle (benchmarks/canvas.py): the real editor and plain
 * cytoscape.js, rendered the same way, so the floor is measured in the same run.
 */

import cytoscape from 'cytoscape';
import { CanvasEditor } from './canvas/editor';
import { buildElements, sentinelPositions } from './canvas/elements';
import { layoutDagre, layoutRuns, registerExtensions } from './canvas/layout';
import { CatalogEntry, WorkflowDocument } from './canvas/types';

function frame(): Promise<void> {
  return new Promise(resolve => requestAnimationFrame(() => resolve()));
}

function stage(): HTMLElement {
  document.body.replaceChildren();
  const el = document.createElement('div');
  el.style.cssText = 'width: 1200px; height: 800px; position: relative;';
  document.body.append(el);
  return el;
}

async function drawn(cy: cytoscape.Core): Promise<void> {
  await new Promise<void>(resolve => cy.one('render', () => resolve()));
  await frame();
}

const host = { apply: async () => undefined, credentials: async () => [] as string[] };

async function renderCanvas(doc: WorkflowDocument, catalog: CatalogEntry[]): Promise<number> {
  const el = stage();
  const t0 = performance.now();
  const editor = new CanvasEditor(el, host, doc, catalog, { height: '800px' });
  await drawn(editor.cy);
  const ms = performance.now() - t0;
  (window as unknown as { editor: CanvasEditor }).editor = editor;
  return ms;
}

function plainElements(doc: WorkflowDocument): cytoscape.ElementDefinition[] {
  const els = buildElements(doc);
  const stored = doc.canvas.positions;
  const sentinels = sentinelPositions(els, id => stored[id]);
  return [
    ...els.nodes.map(n => ({
      group: 'nodes' as const,
      data: { id: n.id, label: n.label },
      position: stored[n.id] ?? sentinels[n.id] ?? { x: 0, y: 0 }
    })),
    ...els.edges.map(e => ({ group: 'edges' as const, data: { id: e.id, source: e.source, target: e.target } }))
  ];
}

const plainStyle: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      shape: 'round-rectangle',
      width: 168,
      height: 52,
      'text-wrap': 'wrap',
      'text-valign': 'center',
      'text-halign': 'center',
      'font-size': 12
    }
  },
  { selector: 'edge', style: { 'curve-style': 'bezier', 'target-arrow-shape': 'triangle' } }
];

async function renderPlain(doc: WorkflowDocument, dagre: boolean): Promise<number> {
  registerExtensions();
  const el = stage();
  const t0 = performance.now();
  const cy = cytoscape({ container: el, elements: plainElements(doc), style: plainStyle, layout: { name: 'preset' } });
  if (dagre) layoutDagre(cy.elements());
  cy.fit(undefined, 30);
  await drawn(cy);
  const ms = performance.now() - t0;
  cy.destroy();
  return ms;
}

/** Mean frame time while panning and zooming the current editor (interactivity). */
async function panZoom(frames: number): Promise<{ meanMs: number; maxMs: number }> {
  const editor = (window as unknown as { editor: CanvasEditor }).editor;
  const cy = editor.cy;
  const times: number[] = [];
  let last = performance.now();
  for (let i = 0; i < frames; i++) {
    if (i % 2 === 0) cy.panBy({ x: 7, y: 3 });
    else cy.zoom({ level: cy.zoom() * (i % 4 === 1 ? 1.02 : 0.98), renderedPosition: { x: 600, y: 400 } });
    await frame();
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  return { meanMs: times.reduce((a, b) => a + b, 0) / times.length, maxMs: Math.max(...times) };
}

(window as unknown as Record<string, unknown>).OrcheoBench = { renderCanvas, renderPlain, panZoom, layoutRuns };
