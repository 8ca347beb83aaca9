/**
 * Moving through the graph by keyboard: arrow keys go to the nearest node in
 * that direction (as the eye would, not in document order), and the order in
 * which nodes were selected is kept so "connect" knows which end is the source.
 */

import type cytoscape from 'cytoscape';
import { HANDLE } from './graph';
import { Position } from './types';

export type Direction = 'left' | 'right' | 'up' | 'down';

export const ARROWS: Record<string, Direction> = {
  ArrowLeft: 'left',
  ArrowRight: 'right',
  ArrowUp: 'up',
  ArrowDown: 'down'
};

const UNIT: Record<Direction, Position> = {
  left: { x: -1, y: 0 },
  right: { x: 1, y: 0 },
  up: { x: 0, y: -1 },
  down: { x: 0, y: 1 }
};

/**
 * The node nearest to ``from`` in ``dir``: candidates must lie ahead; among them
 * the one with the smallest distance along the direction plus twice the sideways
 * offset wins (so a node straight ahead beats a closer one far off to the side).
 */
export function nearestInDirection(
  from: Position,
  dir: Direction,
  candidates: { id: string; p: Position }[]
): string | null {
  const u = UNIT[dir];
  let best: string | null = null;
  let bestScore = Infinity;
  for (const c of candidates) {
    const dx = c.p.x - from.x;
    const dy = c.p.y - from.y;
    const ahead = dx * u.x + dy * u.y;
    const side = Math.abs(dx * u.y - dy * u.x);
    if (ahead <= 1) continue;
    const score = ahead + 2 * side;
    if (score < bestScore) {
      bestScore = score;
      best = c.id;
    }
  }
  return best;
}

/** Keeps the order of selection (oldest first) for the nodes of one cytoscape instance. */
export class SelectionOrder {
  private order: string[] = [];

  constructor(cy: cytoscape.Core) {
    cy.on('select', 'node', e => {
      const id = (e.target as cytoscape.NodeSingular).id();
      if (id === HANDLE) return;
      this.order = this.order.filter(x => x !== id);
      this.order.push(id);
    });
    cy.on('unselect remove', 'node', e => {
      const id = (e.target as cytoscape.NodeSingular).id();
      this.order = this.order.filter(x => x !== id);
    });
  }

  /** Selected node ids, oldest selection first. */
  ids(cy: cytoscape.Core): string[] {
    const selected = new Set(
      cy
        .nodes(':selected')
        .not(`#${HANDLE}`)
        .map(n => n.id())
    );
    const known = this.order.filter(id => selected.has(id));
    for (const id of selected) if (!known.includes(id)) known.push(id);
    return known;
  }

  /** The node the keyboard is "on": the most recently selected one. */
  current(cy: cytoscape.Core): string | null {
    const ids = this.ids(cy);
    return ids.length ? ids[ids.length - 1] : null;
  }
}

/**
 * Move the keyboard's selection: from the current node to the nearest one in
 * ``dir`` (added to the selection when ``extend``). With nothing selected the
 * start node (or the first node) is selected. Returns the node now current.
 */
export function moveSelection(
  cy: cytoscape.Core,
  order: SelectionOrder,
  dir: Direction,
  extend: boolean
): string | null {
  const nodes = cy
    .nodes()
    .not(`#${HANDLE}`)
    .filter(n => !n.hasClass('eh-ghost-node') && n.selectable());
  if (nodes.empty()) return null;
  const current = order.current(cy);
  let next: string | null;
  if (!current) {
    const start = nodes.filter(n => n.id() === '__start__');
    next = start.nonempty() ? start.id() : nodes[0].id();
  } else {
    const from = (cy.getElementById(current) as cytoscape.NodeSingular).position();
    next = nearestInDirection(
      from,
      dir,
      nodes.filter(n => n.id() !== current).map(n => ({ id: n.id(), p: (n as cytoscape.NodeSingular).position() }))
    );
    if (!next) return current; // nothing further that way: stay
  }
  if (!extend) cy.elements().unselect();
  const ele = cy.getElementById(next);
  if (extend && ele.selected()) ele.unselect(); // re-select: it becomes the newest
  ele.select();
  return next;
}
