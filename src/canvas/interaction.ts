/**
 * How people drive the canvas: the connection handle (drag from under a node onto
 * another), keyboard shortcuts, drops from the palette, and keeping focus and
 * pointer coordinates right when the canvas lives inside a scrolling notebook.
 */

import cytoscape from 'cytoscape';
import { HANDLE } from './graph';
import { ARROWS, Direction } from './navigate';
import { DRAG_MIME } from './palette';
import { END, Position } from './types';

interface EdgeHandles {
  start(node: cytoscape.NodeSingular): void;
  destroy(): void;
}

export interface HandleOptions {
  enabled: () => boolean;
  canConnect: (source: string, target: string) => boolean;
  connect: (source: string, target: string) => void;
  /** A connection was dropped on a node it cannot connect to: say why. */
  refuse: (source: string, target: string) => void;
}

/** A small handle under the hovered node; dragging it draws an edge (cytoscape-edgehandles). */
export class ConnectionHandle {
  private readonly eh: EdgeHandles | null = null;
  private source: string | null = null;
  private timer = 0;
  /** Where the pointer is while a connection is drawn (model coordinates). */
  private pointer: Position | null = null;
  private completed = false;

  constructor(
    private readonly cy: cytoscape.Core,
    opts: HandleOptions
  ) {
    const ext = (cy as unknown as { edgehandles?: (o: object) => EdgeHandles }).edgehandles;
    if (ext) {
      this.eh = ext.call(cy, {
        canConnect: (s: cytoscape.NodeSingular, t: cytoscape.NodeSingular) =>
          s.id() !== HANDLE && t.id() !== HANDLE && opts.canConnect(s.id(), t.id()),
        edgeParams: () => ({ classes: 'oc-temp-edge' }),
        hoverDelay: 100,
        snap: true,
        snapThreshold: 30,
        noEdgeEventsInDraw: true,
        disableBrowserGestures: true
      });
    }
    cy.on('grab', 'node', () => this.hide());
    const offer = (n: cytoscape.NodeSingular): void => {
      if (n.id() === HANDLE) {
        window.clearTimeout(this.timer);
        return;
      }
      if (!opts.enabled() || n.id() === END || n.grabbed()) return;
      this.show(n);
    };
    cy.on('mouseover', 'node', e => offer(e.target as cytoscape.NodeSingular));
    // A click (or a move) grabs the node, which hides the handle; the pointer is still
    // on the node when it is let go, so no mouseover follows: offer the handle again,
    // or the next drag from the output port the user sees would move the node instead.
    // 'freeon' names the node under the pointer (not every node a multi-drag moved).
    cy.on('freeon', 'node', e => offer(e.target as cytoscape.NodeSingular));
    cy.on('mouseout', 'node', () => {
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.hide(), 700);
    });
    cy.on('tapstart', `#${HANDLE}`, () => {
      window.clearTimeout(this.timer);
      const source = this.source ? cy.getElementById(this.source) : null;
      if (source && source.nonempty()) this.eh?.start(source);
    });
    cy.on('ehstart', () => {
      this.completed = false;
      this.pointer = null;
    });
    cy.on('tapdrag', e => {
      this.pointer = { x: e.position.x, y: e.position.y };
    });
    // The node under the pointer decides: snapping to a valid neighbour of an invalid
    // drop target would draw an edge the user never aimed at.
    cy.on('ehcomplete', ((
      _e: unknown,
      s: cytoscape.NodeSingular,
      t: cytoscape.NodeSingular,
      added: cytoscape.EdgeCollection
    ) => {
      added.remove();
      this.completed = true;
      const under = this.nodeUnderPointer(s.id());
      if (under && under !== t.id()) {
        opts.refuse(s.id(), under);
        return;
      }
      opts.connect(s.id(), t.id());
    }) as unknown as cytoscape.EventHandler);
    cy.on('ehstop', ((_e: unknown, s: cytoscape.NodeSingular) => {
      const source = s?.id?.() ?? this.source;
      if (!this.completed && source) {
        const under = this.nodeUnderPointer(source);
        if (under) opts.refuse(source, under);
      }
      this.completed = false;
      this.hide();
    }) as unknown as cytoscape.EventHandler);
  }

  /** The workflow node (or start/end) under the pointer, other than ``source``'s own handle. */
  private nodeUnderPointer(source: string): string | null {
    const p = this.pointer;
    if (!p) return null;
    const hit = this.cy.nodes().filter(n => {
      const id = n.id();
      if (id === HANDLE || n.hasClass('eh-ghost-node') || n.hasClass('eh-ghost')) return false;
      const b = n.boundingBox({ includeLabels: false, includeOverlays: false });
      return p.x >= b.x1 && p.x <= b.x2 && p.y >= b.y1 && p.y <= b.y2;
    });
    const ids = hit.map(n => n.id()).filter(id => id !== source);
    if (ids.length) return ids[0];
    return hit.nonempty() ? source : null;
  }

  private show(node: cytoscape.NodeSingular): void {
    window.clearTimeout(this.timer);
    this.source = node.id();
    const p = node.position();
    // On the node's output port (drawn at the middle of its bottom edge).
    const at = { x: p.x, y: p.y + node.height() / 2 };
    const handle = this.cy.getElementById(HANDLE);
    if (handle.empty()) {
      this.cy.add({
        group: 'nodes',
        data: { id: HANDLE },
        classes: 'oc-handle',
        position: at,
        grabbable: false,
        selectable: false
      });
    } else {
      handle.position(at);
    }
  }

  hide(): void {
    window.clearTimeout(this.timer);
    const handle = this.cy.getElementById(HANDLE);
    if (handle.nonempty()) handle.remove();
    this.source = null;
  }

  destroy(): void {
    window.clearTimeout(this.timer);
    this.eh?.destroy();
  }
}

/**
 * Cytoscape caches where its container is and listens for scrolls only on the
 * ancestors it had when created; a widget is often created before it is attached
 * (and notebooks scroll inside panels), so re-measure when that may have changed.
 * Clicking the graph also gives the canvas the keyboard. Returns a cleanup.
 */
export function watchContainer(cy: cytoscape.Core, graphEl: HTMLElement): () => void {
  const invalidate = (): void => {
    (cy as unknown as { renderer(): { invalidateContainerClientCoordsCache?: () => void } })
      .renderer()
      .invalidateContainerClientCoordsCache?.();
  };
  document.addEventListener('scroll', invalidate, true);
  graphEl.addEventListener('mouseenter', invalidate);
  graphEl.addEventListener('pointerdown', invalidate, true);
  graphEl.addEventListener('wheel', invalidate, { capture: true, passive: true });
  const takeFocus = (): void => {
    if (document.activeElement !== graphEl) graphEl.focus({ preventScroll: true });
  };
  // Cytoscape blurs the active element on mousedown, so focus again once it is done.
  graphEl.addEventListener('pointerdown', takeFocus);
  graphEl.addEventListener('mouseup', takeFocus);
  graphEl.addEventListener('click', takeFocus);
  return () => document.removeEventListener('scroll', invalidate, true);
}

/** Dropping a palette item on the graph adds that node type where it was dropped. */
export function acceptDrops(
  cy: cytoscape.Core,
  graphEl: HTMLElement,
  enabled: () => boolean,
  add: (type: string, at: Position) => void
): void {
  graphEl.addEventListener('dragover', ev => {
    if (!enabled()) return;
    if (ev.dataTransfer?.types.includes(DRAG_MIME) || ev.dataTransfer?.types.includes('text/plain')) {
      ev.preventDefault();
      ev.dataTransfer.dropEffect = 'copy';
    }
  });
  graphEl.addEventListener('drop', ev => {
    const type = ev.dataTransfer?.getData(DRAG_MIME) || ev.dataTransfer?.getData('text/plain');
    if (!type || !enabled()) return;
    ev.preventDefault();
    const rect = graphEl.getBoundingClientRect();
    const pan = cy.pan();
    const zoom = cy.zoom();
    add(type, { x: (ev.clientX - rect.left - pan.x) / zoom, y: (ev.clientY - rect.top - pan.y) / zoom });
  });
}

/**
 * Which keys the canvas keeps for itself: every key without Ctrl/Cmd/Alt (so a
 * notebook's command-mode letters never fire from the canvas) and its own
 * Ctrl+Z/Y/A, Ctrl+C/V/X/D (and Ctrl+S where it saves). Any other chord is Lab's
 * (Ctrl+Shift+C, Ctrl+S where the host saves...).
 */
export function ownsKey(saves: boolean): (ev: KeyboardEvent) => boolean {
  return ev => {
    if (!(ev.ctrlKey || ev.metaKey || ev.altKey)) return true;
    if (ev.altKey) return false;
    const key = ev.key.toLowerCase();
    if (key === 'z' || key === 'y' || key === 'a' || (saves && key === 's')) return true;
    return !ev.shiftKey && (key === 'c' || key === 'v' || key === 'x' || key === 'd');
  };
}

/**
 * Lab reads shortcuts on the document in the capture phase, before the canvas sees
 * the key; ``data-lm-suppress-shortcuts`` hides a key from it. Set it per key, just
 * before Lab looks (a window capture listener runs first), for the keys the canvas owns.
 */
export function shortcutGate(root: HTMLElement, owns: (ev: KeyboardEvent) => boolean): () => void {
  const gate = (ev: KeyboardEvent): void => {
    const target = ev.target as Node | null;
    if (!target || !root.contains(target)) return;
    if (owns(ev)) root.setAttribute('data-lm-suppress-shortcuts', 'true');
    else root.removeAttribute('data-lm-suppress-shortcuts');
  };
  window.addEventListener('keydown', gate, true);
  root.setAttribute('data-lm-suppress-shortcuts', 'true');
  return () => window.removeEventListener('keydown', gate, true);
}

export interface KeyActions {
  save?: () => void;
  remove: () => void;
  undo: () => void;
  redo: () => void;
  selectAll: () => void;
  unselect: () => void;
  /** Keys below act only while the graph itself has the keyboard. */
  onGraph?: (ev: KeyboardEvent) => boolean;
  navigate?: (dir: Direction, extend: boolean) => void;
  connect?: () => void;
  open?: () => void;
  /** Escape in the side panel: the keyboard back to the graph (true when it went there). */
  leavePanel?: (ev: KeyboardEvent) => boolean;
  copy?: () => void;
  cut?: () => void;
  paste?: () => void;
  duplicate?: () => void;
  note?: () => void;
  minimap?: () => void;
  help?: () => void;
  zoom?: (factor: number) => void;
  fit?: () => void;
}

/** Keys that only mean something on the graph (arrows, letters, clipboard chords). */
function graphKey(ev: KeyboardEvent, mod: boolean, key: string, actions: KeyActions): boolean {
  const dir = ARROWS[ev.key];
  if (dir && !mod && actions.navigate) {
    actions.navigate(dir, ev.shiftKey);
    return true;
  }
  if (mod) {
    const chord: Record<string, (() => void) | undefined> = {
      c: actions.copy,
      x: actions.cut,
      v: actions.paste,
      d: actions.duplicate
    };
    const run = ev.shiftKey ? undefined : chord[key];
    if (run) run();
    return !!run;
  }
  const plain: Record<string, (() => void) | undefined> = {
    c: actions.connect,
    enter: actions.open,
    n: actions.note,
    m: actions.minimap,
    '?': actions.help,
    f: actions.fit,
    '+': () => actions.zoom?.(1.25),
    '=': () => actions.zoom?.(1.25),
    '-': () => actions.zoom?.(0.8)
  };
  const run = plain[key];
  if (run) run();
  return !!run;
}

/**
 * Delete, Ctrl+Z / Ctrl+Y (Ctrl+Shift+Z), Ctrl+A, Escape and Ctrl+S on the canvas;
 * on the graph also arrows, C (connect), N, M, ?, zoom keys and Ctrl+C/X/V/D.
 */
export function keyHandler(owns: (ev: KeyboardEvent) => boolean, actions: KeyActions): (ev: KeyboardEvent) => void {
  return ev => {
    if (!owns(ev)) return; // Lab's (or the browser's): let it through untouched
    const mod = ev.ctrlKey || ev.metaKey;
    const key = ev.key.toLowerCase();
    if (mod && key === 's') {
      if (actions.save) {
        ev.preventDefault();
        ev.stopPropagation();
        actions.save();
      }
      return;
    }
    // Keys typed on the canvas are the canvas's: keep notebook command-mode shortcuts away.
    ev.stopPropagation();
    if (ev.key === 'Escape' && !ev.defaultPrevented && actions.leavePanel?.(ev)) {
      ev.preventDefault();
      return;
    }
    const target = ev.target as HTMLElement;
    if (target.closest('input, textarea, select, [contenteditable="true"]')) return;
    if (actions.onGraph?.(ev) && graphKey(ev, mod, key, actions)) {
      ev.preventDefault();
      return;
    }
    if (ev.key === 'Delete' || ev.key === 'Backspace') {
      ev.preventDefault();
      actions.remove();
    } else if (mod && key === 'z' && !ev.shiftKey) {
      ev.preventDefault();
      actions.undo();
    } else if (mod && (key === 'y' || (key === 'z' && ev.shiftKey))) {
      ev.preventDefault();
      actions.redo();
    } else if (mod && key === 'a') {
      ev.preventDefault();
      actions.selectAll();
    } else if (ev.key === 'Escape') {
      actions.unselect();
    }
  };
}
