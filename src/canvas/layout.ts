/** Cytoscape extensions, and the layered (dagre) layout: run only when asked or when positions are missing. */

import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';
import edgehandles from 'cytoscape-edgehandles';

let registered = false;

export function registerExtensions(): void {
  if (registered) return;
  registered = true;
  cytoscape.use(dagre);
  cytoscape.use(edgehandles);
}

let runs = 0;

/** How many layouts ran in this page (benchmarks check that stored positions need none). */
export function layoutRuns(): number {
  return runs;
}

/** Lay out ``eles`` top to bottom synchronously (no animation). */
export function layoutDagre(eles: cytoscape.Collection): void {
  runs++;
  const options = {
    name: 'dagre',
    rankDir: 'TB',
    nodeSep: 40,
    rankSep: 70,
    edgeSep: 10,
    animate: false,
    fit: false
  } as unknown as cytoscape.LayoutOptions;
  eles.layout(options).run();
}

/** Round to 1/10 px so stored positions stay short and stable. */
export function roundPos(p: { x: number; y: number }): { x: number; y: number } {
  return { x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10 };
}
