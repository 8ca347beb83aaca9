/**
 * The editor's DOM around the graph: toolbar (SVG icon buttons), palette slot,
 * the graph (the keyboard's place, with its ARIA role and label), notes layer,
 * minimap, tooltip, panel, toast, the screen-reader outline and live region, and
 * the shortcut help.
 */

import { h } from './form';
import { ACTION_ICONS, iconElement } from './icons';

export interface ToolbarAction {
  name: string;
  /** Short visible label (the icon comes from ACTION_ICONS by name). */
  text: string;
  title: string;
  run: () => void;
  /** A toggle: the button carries aria-pressed. */
  toggle?: boolean;
}

export interface Chrome {
  statusEl: HTMLElement;
  buttons: Record<string, HTMLButtonElement>;
  /** The cytoscape container; it takes the keyboard. */
  graphEl: HTMLElement;
  /** Overlay above the graph for sticky notes (pointer events only on notes). */
  notesEl: HTMLElement;
  minimapEl: HTMLElement;
  tooltipEl: HTMLElement;
  panel: HTMLElement;
  toastEl: HTMLElement;
  outline: HTMLElement;
  /** Polite live region: what changed, for screen readers. */
  liveEl: HTMLElement;
  helpEl: HTMLElement;
}

/** Keys of the canvas, shown in the help popover (and its aria description). */
export const SHORTCUTS: [string, string][] = [
  ['Arrow keys', 'Select the nearest node in that direction'],
  ['Shift + arrow', 'Add the nearest node in that direction to the selection'],
  ['C', 'Connect the two selected nodes (first selected to second)'],
  ['Enter', 'Edit the selected node in the panel'],
  ['Escape (in the panel)', 'Back to the graph, the node still selected'],
  ['Delete', 'Delete the selection'],
  ['Ctrl + C / Ctrl + V', 'Copy / paste nodes (also into another canvas)'],
  ['Ctrl + D', 'Duplicate the selection'],
  ['Ctrl + Z / Ctrl + Y', 'Undo / redo'],
  ['Ctrl + A / Escape', 'Select all / nothing'],
  ['N', 'Add a sticky note'],
  ['M', 'Show or hide the minimap'],
  ['+ / - / F', 'Zoom in / out / fit'],
  ['?', 'Show this help'],
  ['Palette: arrows, Enter', 'Move between node types; Enter adds one'],
  ['Tab', 'Move between palette, graph and panel']
];

let counter = 0;

/** Fill ``root`` with the editor's parts; toolbar buttons give the keyboard back to the graph. */
export function buildChrome(root: HTMLElement, palette: HTMLElement, actions: ToolbarAction[]): Chrome {
  const uid = `oc-${++counter}-${Math.random().toString(36).slice(2, 7)}`;
  root.classList.add('orcheo-canvas');
  root.setAttribute('data-orcheo-canvas', '');
  // The root is focusable from code (Lab activates it); the keyboard lives on the graph.
  root.tabIndex = -1;
  const statusEl = h('span', { class: 'oc-status', role: 'status' });
  const toolbar = h('div', { class: 'oc-toolbar', role: 'toolbar', 'aria-label': 'Canvas tools' });
  const buttons: Record<string, HTMLButtonElement> = {};
  const graphEl = h('div', {
    class: 'oc-graph',
    tabindex: '0',
    role: 'application',
    'aria-roledescription': 'workflow graph',
    'aria-label': 'Workflow graph',
    'aria-describedby': `${uid}-help`
  });
  root.addEventListener('focus', ev => {
    if (ev.target === root) graphEl.focus({ preventScroll: true });
  });
  for (const action of actions) {
    const icon = ACTION_ICONS[action.name];
    const b = h(
      'button',
      {
        type: 'button',
        class: 'oc-button',
        'data-action': action.name,
        title: action.title,
        'aria-label': action.title
      },
      ...(icon ? [iconElement(icon)] : []),
      h('span', { class: 'oc-button-text' }, action.text)
    );
    if (action.toggle) b.setAttribute('aria-pressed', 'false');
    b.addEventListener('click', () => {
      action.run();
      if (!b.dataset.keepFocus) graphEl.focus({ preventScroll: true });
    });
    buttons[action.name] = b;
    toolbar.append(b);
  }
  toolbar.append(statusEl);
  const notesEl = h('div', { class: 'oc-notes' });
  const minimapEl = h('div', { class: 'oc-minimap', hidden: '' });
  const tooltipEl = h('div', { class: 'oc-tooltip', role: 'tooltip', id: `${uid}-tip`, hidden: '' });
  const stage = h('div', { class: 'oc-stage' }, graphEl, notesEl, minimapEl, tooltipEl);
  const panel = h('div', { class: 'oc-panel' });
  const toastEl = h('div', { class: 'oc-toast', role: 'alert', hidden: '' });
  const outline = h('ul', { class: 'oc-outline', 'aria-label': 'Workflow nodes' });
  const liveEl = h('div', { class: 'oc-live', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const helpEl = h(
    'div',
    { class: 'oc-help-popover', id: `${uid}-help`, role: 'note', hidden: '' },
    h('h3', {}, 'Keyboard shortcuts'),
    h('dl', {}, ...SHORTCUTS.flatMap(([keys, what]) => [h('dt', {}, keys), h('dd', {}, what)]))
  );
  root.replaceChildren(
    toolbar,
    h('div', { class: 'oc-body' }, palette, stage, panel),
    toastEl,
    outline,
    liveEl,
    helpEl
  );
  return { statusEl, buttons, graphEl, notesEl, minimapEl, tooltipEl, panel, toastEl, outline, liveEl, helpEl };
}
