/**
 * The minimap: the whole graph in miniature (nodes in their category colours)
 * with the visible part outlined; a click or drag on it moves the view there.
 * Drawn on a small <canvas>, only while shown, at most once per frame.
 */

import type cytoscape from 'cytoscape';
import { HANDLE } from './graph';
import { Theme } from './theme';

const WIDTH = 200;
const HEIGHT = 130;
const STORAGE_KEY = 'orcheo-jupyter:minimap';

export class Minimap {
  private readonly canvas: HTMLCanvasElement;
  private frame = 0;
  private scale = 1;
  private origin = { x: 0, y: 0 };
  /** Nodes drawn in the last frame (tests and the accessible description read it). */
  drawn = 0;

  constructor(
    private readonly cy: cytoscape.Core,
    private readonly el: HTMLElement,
    private theme: Theme
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('aria-hidden', 'true');
    this.el.append(this.canvas);
    this.el.setAttribute('role', 'img');
    this.el.setAttribute('aria-label', 'Minimap of the workflow');
    cy.on('viewport resize add remove position data', () => this.schedule());
    let dragging = false;
    const go = (ev: PointerEvent): void => {
      const rect = this.canvas.getBoundingClientRect();
      const mx = (ev.clientX - rect.left - this.origin.x) / this.scale;
      const my = (ev.clientY - rect.top - this.origin.y) / this.scale;
      const zoom = cy.zoom();
      cy.pan({ x: cy.width() / 2 - mx * zoom, y: cy.height() / 2 - my * zoom });
    };
    this.canvas.addEventListener('pointerdown', ev => {
      dragging = true;
      this.canvas.setPointerCapture(ev.pointerId);
      go(ev);
    });
    this.canvas.addEventListener('pointermove', ev => {
      if (dragging) go(ev);
    });
    this.canvas.addEventListener('pointerup', () => (dragging = false));
    let stored: string | null;
    try {
      stored = window.localStorage.getItem(STORAGE_KEY);
    } catch {
      stored = null;
    }
    this.visible = stored === 'on';
  }

  get visible(): boolean {
    return !this.el.hidden;
  }

  set visible(on: boolean) {
    this.el.hidden = !on;
    this.el.dataset.state = on ? 'on' : 'off';
    if (on) this.schedule();
  }

  /** Show or hide; remembered for the next canvas. */
  toggle(): boolean {
    this.visible = !this.visible;
    try {
      window.localStorage.setItem(STORAGE_KEY, this.visible ? 'on' : 'off');
    } catch {
      /* not remembered */
    }
    return this.visible;
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.schedule();
  }

  private schedule(): void {
    if (this.frame || !this.visible) return;
    this.frame = window.requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  draw(): void {
    const ratio = window.devicePixelRatio || 1;
    const c = this.canvas;
    if (c.width !== WIDTH * ratio) {
      c.width = WIDTH * ratio;
      c.height = HEIGHT * ratio;
      c.style.width = `${WIDTH}px`;
      c.style.height = `${HEIGHT}px`;
    }
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    const nodes = this.cy
      .nodes()
      .not(`#${HANDLE}`)
      .filter(n => !n.hasClass('eh-ghost-node'));
    const ext = this.cy.extent();
    const bb = nodes.nonempty()
      ? nodes.boundingBox({ includeLabels: false })
      : { x1: ext.x1, y1: ext.y1, x2: ext.x2, y2: ext.y2 };
    // The map covers the graph and the visible area.
    const x1 = Math.min(bb.x1, ext.x1);
    const y1 = Math.min(bb.y1, ext.y1);
    const x2 = Math.max(bb.x2, ext.x2);
    const y2 = Math.max(bb.y2, ext.y2);
    const pad = 6;
    this.scale = Math.min((WIDTH - 2 * pad) / Math.max(1, x2 - x1), (HEIGHT - 2 * pad) / Math.max(1, y2 - y1));
    this.origin = {
      x: pad - x1 * this.scale + (WIDTH - 2 * pad - (x2 - x1) * this.scale) / 2,
      y: pad - y1 * this.scale + (HEIGHT - 2 * pad - (y2 - y1) * this.scale) / 2
    };
    const tx = (x: number): number => this.origin.x + x * this.scale;
    const ty = (y: number): number => this.origin.y + y * this.scale;
    ctx.strokeStyle = this.theme.edge;
    ctx.lineWidth = 1;
    ctx.beginPath();
    this.cy.edges().forEach(e => {
      const s = e.source().position();
      const t = e.target().position();
      ctx.moveTo(tx(s.x), ty(s.y));
      ctx.lineTo(tx(t.x), ty(t.y));
    });
    ctx.stroke();
    let drawn = 0;
    nodes.forEach(n => {
      const b = n.boundingBox({ includeLabels: false, includeOverlays: false });
      ctx.fillStyle = (n.data('accent') as string | undefined) ?? this.theme.cardBorder;
      ctx.fillRect(tx(b.x1), ty(b.y1), Math.max(2, b.w * this.scale), Math.max(2, b.h * this.scale));
      drawn++;
    });
    this.drawn = drawn;
    this.el.dataset.nodes = String(drawn);
    ctx.strokeStyle = this.theme.accent;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(tx(ext.x1), ty(ext.y1), ext.w * this.scale, ext.h * this.scale);
  }

  destroy(): void {
    window.cancelAnimationFrame(this.frame);
  }
}
