/**
 * Markers on nodes that the graph style does not carry: a pin on a node whose
 * output is pinned, a breakpoint dot before/after, and "paused" where a run
 * stopped at a breakpoint. Drawn as a thin HTML layer over the graph (only the
 * few marked nodes cost anything) that follows pan, zoom and drags.
 */

import cytoscape from 'cytoscape';
import { h } from './form';
import { iconElement } from './icons';

export interface NodeMarks {
  pin?: boolean;
  breakBefore?: boolean;
  breakAfter?: boolean;
  paused?: 'before' | 'after';
}

const ICONS: [keyof NodeMarks, string, string][] = [
  ['pin', 'pin', 'Output pinned: runs started by hand and node tests use it instead of running the node'],
  ['breakBefore', 'pause', 'Breakpoint: runs started here pause before this node'],
  ['breakAfter', 'pause-after', 'Breakpoint: runs started here pause after this node'],
  ['paused', 'pause', 'The run is paused here at a breakpoint']
];

export class NodeBadges {
  private readonly layer: HTMLElement;
  private marks = new Map<string, NodeMarks>();
  private frame = 0;

  constructor(
    private readonly cy: cytoscape.Core,
    graphEl: HTMLElement
  ) {
    this.layer = h('div', { class: 'oc-badge-layer', 'aria-hidden': 'true' });
    graphEl.append(this.layer);
    const follow = (): void => this.schedule();
    cy.on('viewport resize', follow);
    cy.on('position', 'node', follow);
  }

  /** Replace every node's marks (nodes without any lose their badges). */
  set(marks: Map<string, NodeMarks>): void {
    this.marks = marks;
    this.draw();
  }

  private schedule(): void {
    if (this.frame || !this.marks.size) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.place();
    });
  }

  private draw(): void {
    this.layer.replaceChildren();
    for (const [id, marks] of this.marks) {
      const icons = ICONS.filter(([key]) => marks[key]);
      if (!icons.length || this.cy.getElementById(id).empty()) continue;
      const box = h('div', { class: 'oc-node-badges', 'data-node': id });
      for (const [key, icon, title] of icons) {
        const badge = h('span', { class: `oc-badge oc-badge-${key}`, 'data-badge': key, title }, iconElement(icon));
        if (key === 'paused' && marks.paused) {
          badge.dataset.when = marks.paused;
          badge.append(` paused ${marks.paused}`);
        }
        box.append(badge);
      }
      this.layer.append(box);
    }
    this.place();
  }

  /** Each node's badges sit on its top-right corner. */
  private place(): void {
    for (const box of Array.from(this.layer.children) as HTMLElement[]) {
      const ele = this.cy.getElementById(box.dataset.node ?? '');
      if (ele.empty()) continue;
      const bb = ele.renderedBoundingBox({ includeLabels: false });
      box.style.transform = `translate(${Math.round(bb.x2 - 10)}px, ${Math.round(bb.y1 - 10)}px)`;
    }
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    this.layer.remove();
  }
}
