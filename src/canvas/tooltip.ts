/**
 * A node's tooltip: its name, type and what the type does, shown when the
 * pointer rests on the node or the keyboard selects it. Cytoscape draws on a
 * <canvas>, which has no ``title``; this is an HTML box placed over the node.
 */

import type cytoscape from 'cytoscape';
import { h } from './form';
import { HANDLE } from './graph';

export interface NodeInfo {
  name: string;
  type: string;
  description: string;
}

export class NodeTooltip {
  private timer = 0;
  private shown: string | null = null;
  /** A connection is being drawn: the nodes it passes over show no tooltip. */
  private drawing = false;

  constructor(
    private readonly cy: cytoscape.Core,
    private readonly el: HTMLElement,
    private readonly describe: (id: string) => NodeInfo | null
  ) {
    cy.on('mouseover', 'node', e => {
      const id = (e.target as cytoscape.NodeSingular).id();
      if (id === HANDLE || this.drawing) return;
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.show(id), 350);
    });
    cy.on('mouseout', 'node', () => {
      window.clearTimeout(this.timer);
      this.hide();
    });
    cy.on('grab tapstart viewport remove', () => {
      window.clearTimeout(this.timer);
      this.hide();
    });
    // While the user draws a connection, a tooltip beside the node under the pointer
    // covered the node the edge starts from (and the edge itself).
    cy.on('ehstart', () => {
      this.drawing = true;
      window.clearTimeout(this.timer);
      this.hide();
    });
    cy.on('ehstop', () => {
      this.drawing = false;
    });
  }

  /** Show the tooltip of ``id`` above (or below) the node. */
  show(id: string): void {
    const node = this.cy.getElementById(id);
    const info = this.describe(id);
    if (node.empty() || !info) {
      this.hide();
      return;
    }
    this.el.replaceChildren(
      h('div', { class: 'oc-tooltip-name' }, info.name),
      h('div', { class: 'oc-tooltip-type' }, info.type),
      ...(info.description ? [h('div', { class: 'oc-tooltip-description' }, info.description)] : [])
    );
    this.el.dataset.nodeId = id;
    this.el.hidden = false;
    const box = node.renderedBoundingBox({ includeLabels: false });
    const stage = this.el.parentElement?.getBoundingClientRect();
    const sw = stage?.width ?? 0;
    const sh = stage?.height ?? 0;
    const width = this.el.offsetWidth;
    const height = this.el.offsetHeight;
    // Beside the node when there is room (a column of nodes stays visible), else above or below.
    let x = box.x2 + 10;
    let y = (box.y1 + box.y2) / 2 - height / 2;
    if (x + width > sw - 4) {
      x = (box.x1 + box.x2) / 2 - width / 2;
      const above = box.y1 - height - 8;
      y = above >= 4 ? above : box.y2 + 8;
    }
    x = Math.max(4, Math.min(sw - width - 4, x));
    y = Math.max(4, Math.min(sh - height - 4, y));
    this.el.style.left = `${Math.round(x)}px`;
    this.el.style.top = `${Math.round(y)}px`;
    this.shown = id;
  }

  hide(): void {
    if (this.shown === null && this.el.hidden) return;
    this.el.hidden = true;
    this.shown = null;
    delete this.el.dataset.nodeId;
  }

  destroy(): void {
    window.clearTimeout(this.timer);
  }
}
