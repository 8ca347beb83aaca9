/**
 * The dialog shown when Run would store the canvas over a version someone else
 * stored since the canvas's edits began: what happened, what changed on the
 * server, and the three ways out (reload theirs, overwrite with mine, cancel).
 * What it says (conflictContent) is shared with the Versions dialog's restore conflict.
 */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { h } from '../canvas/form';
import { OrcheoApi } from './api';
import { diff } from './debugapi';
import { choicesText, conflictText, VersionConflict } from './storedversion';
import { renderDiff } from './diffview';

export type ConflictChoice = 'reload' | 'overwrite' | 'cancel';

const RELOAD = 'Reload theirs';
const OVERWRITE = 'Overwrite';

/**
 * What a conflict dialog says: ``text`` (what happened), what changed on the server from
 * the version the user saw to the latest (the Versions diff), and ``choices`` (what each
 * way out does). Shared by Run's store conflict and the Versions dialog's restore conflict.
 */
export function conflictContent(
  api: OrcheoApi,
  workflowId: string,
  conflict: VersionConflict,
  text: string,
  choices: string[]
): { text: HTMLElement; changes: HTMLElement; choices: HTMLElement } {
  const changes = h('div', { class: 'oc-conflict-changes', 'data-conflict-changes': '' });
  if (conflict.base >= 1) {
    changes.append(h('div', { class: 'oc-muted' }, `What changed on the server since version ${conflict.base}:`));
    diff(api, workflowId, conflict.base, conflict.latest).then(
      d => changes.append(renderDiff(d)),
      (err: Error) => changes.append(h('div', { class: 'oc-muted' }, `(cannot compare the versions: ${err.message})`))
    );
  }
  return {
    text: h('p', { 'data-conflict-text': '' }, text),
    changes,
    choices: h('ul', { class: 'oc-conflict-choices' }, ...choices.map(choice => h('li', {}, choice)))
  };
}

class ConflictBody extends Widget {
  constructor(api: OrcheoApi, workflowId: string, name: string, conflict: VersionConflict, storedAt: string | null) {
    super();
    this.addClass('jp-OrcheoConflict');
    this.node.dataset.base = String(conflict.base);
    this.node.dataset.latest = String(conflict.latest);
    const content = conflictContent(
      api,
      workflowId,
      conflict,
      conflictText(name, conflict, storedAt),
      choicesText(conflict)
    );
    this.node.append(content.text, content.changes, content.choices);
  }
}

/** Ask what to do about ``conflict``; Escape and closing the dialog cancel. */
export async function askConflict(
  api: OrcheoApi,
  workflowId: string,
  name: string,
  conflict: VersionConflict,
  storedAt: string | null
): Promise<ConflictChoice> {
  const result = await showDialog({
    title: 'This workflow changed on the server',
    body: new ConflictBody(api, workflowId, name, conflict, storedAt),
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: RELOAD, caption: `Discard your edits and show version ${conflict.latest}` }),
      Dialog.okButton({ label: OVERWRITE, caption: `Store your canvas as version ${conflict.latest + 1}` })
    ],
    defaultButton: 0
  });
  if (result.button.label === RELOAD) return 'reload';
  if (result.button.label === OVERWRITE && result.button.accept) return 'overwrite';
  return 'cancel';
}
