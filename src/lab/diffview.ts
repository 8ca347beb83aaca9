/**
 * A semantic diff between two stored versions, rendered as sections of added,
 * removed and changed items (what the Versions dialog and the conflict dialogs show).
 */

import { h } from '../canvas/form';
import { DiffSection, FieldChange, VersionDiff } from './debugapi';

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 120 ? text.slice(0, 117) + '…' : text;
}

function changeItem(c: FieldChange): HTMLElement {
  const li = h('li', { class: 'oc-diff-field', 'data-field': c.field });
  if (c.text_diff) {
    li.append(h('code', {}, c.field), h('pre', { class: 'oc-diff-text' }, c.text_diff));
  } else if (!('before' in c)) {
    li.append(h('code', {}, c.field), ` added: ${show(c.after)}`);
  } else if (!('after' in c)) {
    li.append(h('code', {}, c.field), ` removed (was ${show(c.before)})`);
  } else {
    li.append(h('code', {}, c.field), `: ${show(c.before)} → ${show(c.after)}`);
  }
  return li;
}

type Labeler = (item: Record<string, unknown>) => string;

const SECTIONS: [keyof Pick<VersionDiff, 'nodes' | 'edges' | 'conditional_edges' | 'triggers'>, string, Labeler][] = [
  ['nodes', 'Nodes', n => `${String(n.id)}${n.type ? ` (${String(n.type)})` : n.kind ? ` (${String(n.kind)})` : ''}`],
  ['edges', 'Edges', e => `${String(e.source)} → ${String(e.target)}`],
  ['conditional_edges', 'Conditional edges', c => `from ${String(c.source)}${c.path ? ` on ${String(c.path)}` : ''}`],
  ['triggers', 'Triggers', t => `${String(t.id ?? t.type)}${t.type ? ` (${String(t.type)})` : ''}`]
];

const MARK = { added: '+', removed: '−', changed: '~' } as const;

/** The diff as sections of added / removed / changed items, each change field by field. */
export function renderDiff(d: VersionDiff): HTMLElement {
  const out = h('div', { class: 'oc-diff', 'data-diff': `${d.from_version}-${d.to_version}` });
  out.append(
    h(
      'div',
      { class: 'oc-diff-summary', 'data-diff-summary': '' },
      `v${d.from_version} → v${d.to_version}: ${d.summary}`
    )
  );
  for (const [key, title, label] of SECTIONS) {
    const section: DiffSection = d[key];
    const items = h('ul', {});
    for (const kind of ['added', 'removed', 'changed'] as const) {
      for (const item of section[kind] ?? []) {
        const li = h(
          'li',
          { class: `oc-diff-${kind}`, 'data-kind': kind, 'data-item': label(item) },
          h('span', { class: 'oc-diff-mark' }, MARK[kind]),
          ` ${label(item)} ${kind}`
        );
        const changes = (item as { changes?: FieldChange[] }).changes;
        if (changes?.length) li.append(h('ul', {}, ...changes.map(changeItem)));
        items.append(li);
      }
    }
    if (items.childElementCount) out.append(h('section', { 'data-section': key }, h('h4', {}, title), items));
  }
  if (d.document.length) {
    out.append(
      h(
        'section',
        { 'data-section': 'document' },
        h('h4', {}, 'Workflow settings'),
        h('ul', {}, ...d.document.map(changeItem))
      )
    );
  }
  if (d.layout_changed) out.append(h('div', { class: 'oc-muted' }, 'The layout (node positions) changed too.'));
  return out;
}
