/**
 * A browsable tree of a run's state: every key shows its value (or opens), and a
 * click hands its ``{{ path }}`` to whoever inserts it (the field being edited).
 */

import { h } from './form';
import { iconElement } from './icons';
import { JSONValue } from './types';

const MAX_KEYS = 200;
const MAX_DEPTH = 8;

function preview(value: JSONValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.length}]`;
  if (typeof value === 'object') return `{${Object.keys(value).length}}`;
  const text = JSON.stringify(value);
  return text.length > 80 ? text.slice(0, 79) + '…' : text;
}

function branch(value: JSONValue, path: string[], pick: (path: string) => void, depth: number): HTMLElement {
  const list = h('ul', { class: 'oc-tree' });
  const entries: [string, JSONValue][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : value && typeof value === 'object'
      ? Object.entries(value)
      : [];
  for (const [key, child] of entries.slice(0, MAX_KEYS)) {
    const at = [...path, key];
    const dotted = at.join('.');
    const keyEl = h(
      'button',
      { type: 'button', class: 'oc-tree-key', 'data-path': dotted, title: `Insert {{ ${dotted} }}` },
      key
    );
    // Keep the focus (and the cursor) in the field being edited.
    keyEl.addEventListener('mousedown', ev => ev.preventDefault());
    keyEl.addEventListener('click', () => pick(dotted));
    const item = h('li', {}, keyEl, ' ', h('span', { class: 'oc-tree-value' }, preview(child)));
    const nested =
      child !== null && typeof child === 'object' && (Array.isArray(child) ? child.length : Object.keys(child).length);
    if (nested && depth < MAX_DEPTH) {
      const toggle = h(
        'button',
        {
          type: 'button',
          class: 'oc-tree-toggle',
          'aria-expanded': 'false',
          title: 'Show inside',
          'aria-label': 'Show inside'
        },
        iconElement('chevron-right')
      );
      let inner: HTMLElement | null = null;
      toggle.addEventListener('mousedown', ev => ev.preventDefault());
      toggle.addEventListener('click', () => {
        if (!inner) {
          inner = branch(child, at, pick, depth + 1);
          item.append(inner);
        } else inner.hidden = !inner.hidden;
        const open = !inner.hidden;
        toggle.replaceChildren(iconElement(open ? 'chevron-down' : 'chevron-right'));
        toggle.setAttribute('aria-expanded', String(open));
      });
      item.prepend(toggle);
    }
    list.append(item);
  }
  if (entries.length > MAX_KEYS) list.append(h('li', { class: 'oc-muted' }, `… ${entries.length - MAX_KEYS} more`));
  return list;
}

/** The tree of ``state``; its first level open. */
export function stateTree(state: JSONValue, pick: (path: string) => void): HTMLElement {
  return h('div', { class: 'oc-state-tree-body' }, branch(state, [], pick, 0));
}

/** Put ``{{ path }}`` at the cursor of ``field`` and tell its form (input, then change). */
export function insertTemplate(field: HTMLInputElement | HTMLTextAreaElement, path: string): void {
  const text = `{{ ${path} }}`;
  const start = field.selectionStart ?? field.value.length;
  const end = field.selectionEnd ?? start;
  field.focus();
  field.setRangeText(text, start, end, 'end');
  field.dispatchEvent(new Event('input', { bubbles: true }));
  field.dispatchEvent(new Event('change', { bubbles: true }));
}
