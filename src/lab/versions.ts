/**
 * The Versions dialog: a workflow's stored versions, the semantic diff between
 * any two (nodes, edges, conditional edges, triggers, document fields), and
 * Restore, which makes an earlier version current by storing it again as a new
 * version — history is never rewritten.
 */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { h } from '../canvas/form';
import { WorkflowDocument } from '../canvas/types';
import { OrcheoApi } from './api';
import { diff, DiffSection, FieldChange, restore, VersionDiff, versions, VersionSummary } from './debugapi';

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

class VersionsBody extends Widget {
  private list: VersionSummary[] = [];
  private readonly from = h('select', { 'data-diff-from': '', 'aria-label': 'From version' });
  private readonly to = h('select', { 'data-diff-to': '', 'aria-label': 'To version' });
  private readonly output = h('div', { class: 'oc-diff-output' });
  private readonly restoreButton = h(
    'button',
    { type: 'button', class: 'jp-mod-styled jp-mod-warn', 'data-action': 'restore' },
    'Restore'
  );
  private readonly status = h('div', { class: 'oc-muted', role: 'status', 'data-versions-status': '' });
  private shown = '';

  constructor(
    private readonly api: OrcheoApi,
    private readonly workflowId: string,
    /** Applies a restore to open files; what it did, for the status line. */
    private readonly restored: (doc: WorkflowDocument, version: number) => string[]
  ) {
    super();
    this.addClass('jp-OrcheoVersions');
    this.node.append(
      h(
        'div',
        { class: 'oc-versions-pick' },
        h('label', {}, 'From ', this.from),
        h('label', {}, ' to ', this.to),
        this.restoreButton
      ),
      this.status,
      this.output
    );
    this.from.addEventListener('change', () => void this.showDiff());
    this.to.addEventListener('change', () => void this.showDiff());
    this.restoreButton.addEventListener('click', () => void this.restore());
    void this.load();
  }

  private get latest(): number {
    return this.list.length ? this.list[this.list.length - 1].version : 0;
  }

  async load(from?: number, to?: number): Promise<void> {
    try {
      this.list = await versions(this.api, this.workflowId);
    } catch (err) {
      this.status.textContent = `Cannot list versions: ${(err as Error).message}`;
      return;
    }
    const option = (v: VersionSummary): HTMLOptionElement =>
      h(
        'option',
        { value: String(v.version) },
        `v${v.version}${v.created_at ? ' · ' + v.created_at.replace('T', ' ').slice(0, 19) : ''}${v.version === this.latest ? ' (current)' : ''}`
      );
    this.from.replaceChildren(...this.list.map(option));
    this.to.replaceChildren(...this.list.map(option));
    const latest = this.latest;
    this.from.value = String(from ?? Math.max(1, latest - 1));
    this.to.value = String(to ?? latest);
    this.node.dataset.versions = String(this.list.length);
    if (this.list.length < 2) this.status.textContent = 'Only one version is stored: there is nothing to compare yet.';
    await this.showDiff();
  }

  private async showDiff(): Promise<void> {
    const a = Number(this.from.value);
    const b = Number(this.to.value);
    this.restoreButton.textContent = `Restore v${a}`;
    this.restoreButton.disabled = !a || a === this.latest;
    this.restoreButton.title =
      a === this.latest ? `v${a} is already the current version` : `Store v${a}'s document as a new current version`;
    if (!a || !b || this.list.length < 2) {
      this.output.replaceChildren();
      return;
    }
    const key = `${a}-${b}`;
    this.shown = key;
    try {
      const d = await diff(this.api, this.workflowId, a, b);
      if (this.shown === key) this.output.replaceChildren(renderDiff(d));
    } catch (err) {
      if (this.shown === key)
        this.output.replaceChildren(
          h(
            'div',
            { class: 'oc-error-text', role: 'alert' },
            `Cannot compare v${a} and v${b}: ${(err as Error).message}`
          )
        );
    }
  }

  private async restore(): Promise<void> {
    const version = Number(this.from.value);
    this.restoreButton.disabled = true;
    this.status.textContent = `Restoring v${version}…`;
    try {
      const detail = await restore(this.api, this.workflowId, version);
      const notes = this.restored(detail.document, detail.version);
      this.status.textContent = [
        detail.version === version
          ? `v${version} is already current.`
          : `Restored v${version} as v${detail.version}, now the current version.`,
        ...notes
      ].join(' ');
      await this.load(version, detail.version);
    } catch (err) {
      this.status.textContent = `Cannot restore v${version}: ${(err as Error).message}`;
      this.restoreButton.disabled = false;
    }
  }
}

/** Open the Versions dialog of a stored workflow. */
export async function showVersions(
  api: OrcheoApi,
  workflowId: string,
  title: string,
  restored: (doc: WorkflowDocument, version: number) => string[] = () => []
): Promise<void> {
  await showDialog({
    title: `Versions of ${title}`,
    body: new VersionsBody(api, workflowId, restored),
    buttons: [Dialog.cancelButton({ label: 'Close' })]
  });
}
