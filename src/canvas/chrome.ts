/** The editor's DOM around the graph: toolbar, palette slot, graph, panel, toast, outline. */

import { h } from './form';

export interface ToolbarAction {
  name: string;
  text: string;
  title: string;
  run: () => void;
}

export interface Chrome {
  statusEl: HTMLElement;
  buttons: Record<string, HTMLButtonElement>;
  graphEl: HTMLElement;
  panel: HTMLElement;
  toastEl: HTMLElement;
  outline: HTMLElement;
}

/** Fill ``root`` with the editor's parts; toolbar buttons give the keyboard back to the canvas. */
export function buildChrome(root: HTMLElement, palette: HTMLElement, actions: ToolbarAction[]): Chrome {
  root.classList.add('orcheo-canvas');
  root.setAttribute('data-orcheo-canvas', '');
  // Which keys Lab's shortcuts may see is decided per key (interaction.ts: shortcutGate).
  root.tabIndex = 0;
  const statusEl = h('span', { class: 'oc-status', role: 'status' });
  const toolbar = h('div', { class: 'oc-toolbar' });
  const buttons: Record<string, HTMLButtonElement> = {};
  for (const action of actions) {
    const b = h('button', { type: 'button', class: 'oc-button', 'data-action': action.name, title: action.title }, action.text);
    b.addEventListener('click', () => {
      action.run();
      root.focus({ preventScroll: true });
    });
    buttons[action.name] = b;
    toolbar.append(b);
  }
  toolbar.append(statusEl);
  const graphEl = h('div', { class: 'oc-graph' });
  const panel = h('div', { class: 'oc-panel' });
  const toastEl = h('div', { class: 'oc-toast', role: 'alert', hidden: '' });
  const outline = h('ul', { class: 'oc-outline', 'aria-label': 'Workflow nodes' });
  root.replaceChildren(toolbar, h('div', { class: 'oc-body' }, palette, graphEl, panel), toastEl, outline);
  return { statusEl, buttons, graphEl, panel, toastEl, outline };
}
