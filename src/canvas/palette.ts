/** The node palette: catalog entries grouped by category, with a search box. */

import { h } from './form';
import { CatalogEntry } from './types';

export const DRAG_MIME = 'application/x-orcheo-node';
/** Palette pseudo-type for a Python code node (kind "code", not a registered type). */
export const CODE_TYPE = '__code__';

/** Glyphs for the catalog's icon names (lucide names); unknown names get a box. */
const ICONS: Record<string, string> = {
  'arrow-down-up': '⇅',
  bot: '✦',
  braces: '{}',
  bug: '🐞',
  'calendar-clock': '📅',
  clock: '⏱',
  code: '{}',
  'file-text': '📄',
  filter: '⏷',
  'git-branch': '⑂',
  globe: '🌐',
  hand: '✋',
  layers: '▤',
  'list-ordered': '≡',
  merge: '⤞',
  'message-square': '💬',
  'octagon-x': '⛔',
  radar: '◎',
  repeat: '↻',
  'shield-check': '✔',
  shuffle: '⇄',
  split: '⑃',
  timer: '⏲',
  type: 'T',
  'user-round-pen': '✎',
  variable: '𝑥',
  webhook: '⚓',
  workflow: '⧉',
  box: '▢'
};

export function iconFor(icon: string): string {
  return ICONS[icon] ?? ICONS.box;
}

export class Palette {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly search: HTMLInputElement;
  private entries: CatalogEntry[] = [];

  constructor(private readonly onAdd: (type: string) => void) {
    this.search = h('input', { type: 'search', class: 'oc-palette-search', placeholder: 'Search nodes…', 'aria-label': 'Search nodes' });
    this.search.addEventListener('input', () => this.draw());
    this.list = h('div', { class: 'oc-palette-list' });
    this.element = h('div', { class: 'oc-palette' }, this.search, this.list);
  }

  setCatalog(entries: CatalogEntry[]): void {
    this.entries = entries;
    this.draw();
  }

  private draw(): void {
    const q = this.search.value.trim().toLowerCase();
    const all: CatalogEntry[] = [
      ...this.entries,
      {
        type: CODE_TYPE,
        category: 'code',
        description: 'Python function body: def run(self, state, config)',
        icon: 'code',
        trigger: false,
        config_schema: {}
      }
    ];
    const groups = new Map<string, CatalogEntry[]>();
    for (const e of all) {
      const hay = `${e.type} ${e.category} ${e.description}`.toLowerCase();
      if (q && !hay.includes(q)) continue;
      const list = groups.get(e.category) ?? [];
      list.push(e);
      groups.set(e.category, list);
    }
    this.list.replaceChildren();
    if (!groups.size) this.list.append(h('div', { class: 'oc-muted' }, 'No node matches.'));
    for (const category of [...groups.keys()].sort()) {
      const section = h('div', { class: 'oc-palette-group', 'data-category': category }, h('div', { class: 'oc-palette-category' }, category));
      for (const e of groups.get(category)!.sort((a, b) => a.type.localeCompare(b.type))) {
        const name = e.type === CODE_TYPE ? 'Python code' : e.type.replace(/Node$/, '');
        const item = h(
          'div',
          { class: 'oc-palette-item', draggable: 'true', 'data-node-type': e.type, title: `${e.description}\n(double-click or drag to add)` },
          h('span', { class: 'oc-icon' }, iconFor(e.icon)),
          h('span', { class: 'oc-palette-name' }, name)
        );
        if (e.trigger) item.append(h('span', { class: 'oc-tag' }, 'trigger'));
        item.addEventListener('dragstart', ev => {
          ev.dataTransfer?.setData(DRAG_MIME, e.type);
          ev.dataTransfer?.setData('text/plain', e.type);
          if (ev.dataTransfer) ev.dataTransfer.effectAllowed = 'copy';
        });
        item.addEventListener('dblclick', () => this.onAdd(e.type));
        section.append(item);
      }
      this.list.append(section);
    }
  }
}
