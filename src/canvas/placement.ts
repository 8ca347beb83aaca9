/** Where things go: new nodes, nodes without stored positions, and the view after an add. */

import cytoscape from 'cytoscape';
import { irOf, isEditable } from './doc';
import { Elements } from './elements';
import { HANDLE } from './graph';
import { roundPos } from './layout';
import { START, Diff, Position, WorkflowDocument } from './types';

/** The viewport centre, or the first free spot below it. */
export function freeSpotNearCentre(cy: cytoscape.Core): Position {
  const ext = cy.extent();
  const p = { x: (ext.x1 + ext.x2) / 2, y: (ext.y1 + ext.y2) / 2 };
  const taken = (q: Position): boolean =>
    cy
      .nodes()
      .toArray()
      .some(n => {
        const at = (n as cytoscape.NodeSingular).position();
        return Math.abs(at.x - q.x) < 180 && Math.abs(at.y - q.y) < 70;
      });
  for (let i = 0; i < 60 && taken(p); i++) p.y += 80;
  return p;
}

/** A spot for a node that arrived without a position: under its first predecessor. */
export function placeUnder(cy: cytoscape.Core, els: Elements, id: string): Position {
  const pred = els.edges.find(e => e.target === id && e.source !== START);
  const p = pred ? cy.getElementById(pred.source) : null;
  if (p && p.nonempty()) return { x: p.position('x'), y: p.position('y') + 110 };
  return freeSpotNearCentre(cy);
}

/** Bring a node whose centre is off screen into view: fit all if readable, else centre it. */
export function reveal(cy: cytoscape.Core, ele: cytoscape.CollectionReturnValue): void {
  const ext = cy.extent();
  const p = (ele as cytoscape.NodeSingular).position();
  const margin = 20 / cy.zoom();
  if (p.x > ext.x1 + margin && p.x < ext.x2 - margin && p.y > ext.y1 + margin && p.y < ext.y2 - margin) return;
  const all = cy.nodes().not(`#${HANDLE}`);
  const bb = all.boundingBox({});
  const zoom = Math.min(cy.width() / (bb.w + 60), cy.height() / (bb.h + 60));
  if (zoom >= 0.5) cy.fit(all, 30);
  else cy.center(ele);
}

/**
 * The first edit of a document that had no stored positions also stores where
 * every node is now, so the layout it got on open never has to run again.
 */
export function withStoredPositions(cy: cytoscape.Core, doc: WorkflowDocument, diffs: Diff[]): Diff[] {
  if (!isEditable(doc)) return diffs;
  const stored = doc.canvas.positions;
  const missing = irOf(doc).nodes.filter(n => !stored[n.id]);
  if (!missing.length) return diffs;
  const positions: Record<string, Position> = {};
  for (const n of missing) {
    const ele = cy.getElementById(n.id);
    if (ele.nonempty()) positions[n.id] = roundPos(ele.position());
  }
  return Object.keys(positions).length ? [{ op: 'move', positions }, ...diffs] : diffs;
}
