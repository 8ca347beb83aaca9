/**
 * The node palette: catalog entries grouped by category, with a search box. It is
 * one tab stop for the keyboard: arrow keys move between entries, Enter (or Space)
 * adds the entry's node, Enter in the search box adds the first match.
 */

import { h } from './form';
import { iconElement, resolveIcon } from './icons';
import { CatalogEntry } from './types';

export const DRAG_MIME = 'application/x-orcheo-node';
/** Palette pseudo-type for a Python code node (kind "code", not a registered type). */
export const CODE_TYPE = '__code__';

export class Palette {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly search: HTMLInputElement;
  private entries: CatalogEntry[] = [];

  constructor(private readonly onAdd: (type: string) => void) {
    this.search = h('input', {
      type: 'search',
      class: 'oc-palette-search',
      placeholder: 'Search nodes…',
      'aria-label': 'Search nodes'
    });
    this.search.addEventListener('input', () => this.draw());
    this.search.addEventListener('keydown', ev => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        const first = this.items()[0];
        if (first?.dataset.nodeType) this.onAdd(first.dataset.nodeType);
      } else if (ev.key === 'ArrowDown') {
        ev.preventDefault();
        this.focusItem(0);
      }
    });
    this.list = h('div', {
      class: 'oc-palette-list',
      role: 'listbox',
      'aria-label': 'Node types: Enter adds the node'
    });
    this.list.addEventListener('keydown', ev => this.onKey(ev));
    this.element = h('div', { class: 'oc-palette' }, this.search, this.list);
  }

  private items(): HTMLElement[] {
    return Array.from(this.list.querySelectorAll<HTMLElement>('.oc-palette-item'));
  }

  /** Roving tab stop: only the current item is in the tab order. */
  /** Put the keyboard in the search box: where a new, empty workflow starts. */
  focusSearch(): void {
    this.search.focus({ preventScroll: true });
  }

  private focusItem(index: number): void {
    const items = this.items();
    if (!items.length) return;
    const i = Math.max(0, Math.min(items.length - 1, index));
    for (const [j, item] of items.entries()) item.tabIndex = j === i ? 0 : -1;
    items[i].focus();
    items[i].scrollIntoView({ block: 'nearest' });
  }

  private onKey(ev: KeyboardEvent): void {
    const item = (ev.target as HTMLElement).closest<HTMLElement>('.oc-palette-item');
    if (!item || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const items = this.items();
    const at = items.indexOf(item);
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      if (item.dataset.nodeType) this.onAdd(item.dataset.nodeType);
    } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      if (ev.key === 'ArrowUp' && at === 0) this.search.focus();
      else this.focusItem(at + (ev.key === 'ArrowDown' ? 1 : -1));
    } else if (ev.key === 'Home' || ev.key === 'End') {
      ev.preventDefault();
      this.focusItem(ev.key === 'Home' ? 0 : items.length - 1);
    }
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
      const section = h(
        'div',
        { class: 'oc-palette-group', 'data-category': category },
        h('div', { class: 'oc-palette-category' }, category)
      );
      for (const e of groups.get(category)!.sort((a, b) => a.type.localeCompare(b.type))) {
        const name = e.type === CODE_TYPE ? 'Python code' : e.type.replace(/Node$/, '');
        const item = h(
          'div',
          {
            class: 'oc-palette-item',
            draggable: 'true',
            role: 'option',
            tabindex: '-1',
            'aria-label': `${name}: ${e.description}`,
            'data-node-type': e.type,
            'data-category': category,
            title: `${name} (${category})\n${e.description}\nEnter, double-click or drag to add`
          },
          iconElement(resolveIcon(e.icon, category)),
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
    const first = this.items()[0];
    if (first) first.tabIndex = 0;
  }
}
