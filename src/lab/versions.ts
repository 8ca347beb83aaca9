/**
 * The Versions dialog: a workflow's stored versions, the semantic diff between
 * any two (nodes, edges, conditional edges, triggers, document fields), and
 * Restore, which makes an earlier version current by storing it again as a new
 * version — history is never rewritten.
 */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { h } from '../canvas/form';
import { WorkflowDocument } from '../canvas/types';
import { OrcheoApi } from './api';
import { conflictContent } from './conflict';
import { diff, restore, versions, VersionSummary } from './debugapi';
import { renderDiff } from './diffview';
import {
  notRestoredText,
  RestoreChoice,
  restoreChoicesText,
  restoreConflictText,
  restoredText,
  restoreOnBase,
  StoredVersion
} from './restoreconflict';
import { VersionConflict } from './storedversion';

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
  /** Where a restore conflict asks what to do (a dialog cannot open over this one: Lab queues them). */
  private readonly question = h('div', { class: 'oc-restore-question' });
  private shown = '';
  /** A restore is under way (sent, or waiting for the user's answer to a conflict). */
  private busy = false;
  /** Answers the open restore conflict; null when none is open. */
  private answer: ((choice: RestoreChoice) => void) | null = null;
  /** A choice button had focus: when the restore ends, focus goes to Restore (or From). */
  private refocus = false;

  constructor(
    private readonly api: OrcheoApi,
    private readonly workflowId: string,
    /** The workflow's name, as the conflict text names it. */
    private readonly name: string,
    /** Applies a restore to open files; what it did, for the status line. */
    private readonly restored: (doc: WorkflowDocument, version: number) => string[]
  ) {
    super();
    this.addClass('jp-OrcheoVersions');
    this.question.hidden = true;
    this.node.append(
      h(
        'div',
        { class: 'oc-versions-pick' },
        h('label', {}, 'From ', this.from),
        h('label', {}, ' to ', this.to),
        this.restoreButton
      ),
      this.status,
      this.question,
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

  /**
   * Show the versions (``list`` when the caller has them fresh, else fetched).
   * ``keep``: the status says what a restore did; a failure to list is added to it.
   */
  async load(from?: number, to?: number, list?: VersionSummary[], keep = false): Promise<void> {
    try {
      this.list = list ?? (await versions(this.api, this.workflowId));
    } catch (err) {
      const error = `Cannot list versions: ${(err as Error).message}`;
      this.status.textContent = keep ? `${this.status.textContent} ${error}` : error;
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

  /** Restore offers the "from" version, unless it is the current one or a restore is under way. */
  private updateRestoreButton(): void {
    const a = Number(this.from.value);
    this.restoreButton.textContent = `Restore v${a}`;
    this.restoreButton.disabled = this.busy || !a || a === this.latest;
    this.restoreButton.title =
      a === this.latest ? `v${a} is already the current version` : `Store v${a}'s document as a new current version`;
  }

  private async showDiff(): Promise<void> {
    const a = Number(this.from.value);
    const b = Number(this.to.value);
    this.updateRestoreButton();
    if (!a || !b || this.list.length < 2) {
      this.output.replaceChildren();
      return;
    }
    const key = `${a}-${b}`;
    this.shown = key;
    // Until the new diff arrives, the one on screen is marked stale (dimmed, aria-busy).
    this.output.setAttribute('aria-busy', 'true');
    let content: HTMLElement;
    try {
      content = renderDiff(await diff(this.api, this.workflowId, a, b));
    } catch (err) {
      content = h(
        'div',
        { class: 'oc-error-text', role: 'alert' },
        `Cannot compare v${a} and v${b}: ${(err as Error).message}`
      );
    }
    if (this.shown !== key) return;
    this.output.replaceChildren(content);
    this.output.dataset.diff = key;
    this.output.removeAttribute('aria-busy');
  }

  /**
   * Store the "from" version again as the current one, made from the latest this list
   * shows: when someone stored a version since, ask before anything is stored.
   */
  private async restore(): Promise<void> {
    const version = Number(this.from.value);
    const shown = this.latest;
    this.busy = true;
    this.restoreButton.disabled = true;
    this.status.textContent = `Restoring v${version}…`;
    try {
      const outcome = await restoreOnBase(shown, {
        restore: base => restore(this.api, this.workflowId, version, base),
        versions: () => versions(this.api, this.workflowId),
        ask: (conflict, latest) => this.ask(version, conflict, latest, shown)
      });
      if (this.isDisposed) return;
      if (outcome.kind === 'restored') {
        const { detail } = outcome;
        const notes = this.restored(detail.document, detail.version);
        this.status.textContent = [
          restoredText(version, detail.version, outcome.base, shown, outcome.stored),
          ...notes
        ].join(' ');
        await this.load(version, detail.version, undefined, true);
        return;
      }
      this.status.textContent = notRestoredText(version, outcome.kind, outcome.latest, shown);
      if (outcome.kind === 'refresh') await this.load(version, outcome.latest.version, outcome.list);
    } catch (err) {
      this.status.textContent = `Cannot restore v${version}: ${(err as Error).message}`;
    } finally {
      this.busy = false;
      this.updateRestoreButton();
      // A choice button that had focus is gone: keep focus in the dialog (Escape closes it).
      if (this.refocus || document.activeElement === document.body) {
        this.refocus = false;
        if (!this.restoreButton.disabled) this.restoreButton.focus();
        else this.from.focus();
      }
    }
  }

  /** Show what happened on the server and wait for the user's choice. */
  private ask(
    version: number,
    conflict: VersionConflict,
    latest: StoredVersion,
    shown: number
  ): Promise<RestoreChoice> {
    // Closed while the restore was sent: nobody is there to answer, so nothing is stored.
    if (this.isDisposed || !this.isAttached) return Promise.resolve('cancel');
    return new Promise(resolve => {
      const answer = (choice: RestoreChoice): void => {
        this.answer = null;
        this.question.hidden = true;
        // The focused choice button goes with the question: keep focus inside the dialog.
        this.from.focus();
        this.refocus = true;
        this.question.replaceChildren();
        resolve(choice);
      };
      const button = (choice: RestoreChoice, label: string, style: string, caption: string): HTMLButtonElement => {
        const b = h(
          'button',
          { type: 'button', class: `jp-mod-styled ${style}`, 'data-restore-choice': choice, title: caption },
          label
        );
        b.addEventListener('click', () => answer(choice));
        return b;
      };
      const refresh = button(
        'refresh',
        'Refresh the list',
        'jp-mod-accept',
        `Restore nothing; show version ${conflict.latest} as the current one`
      );
      const content = conflictContent(
        this.api,
        this.workflowId,
        conflict,
        restoreConflictText(this.name, version, conflict, latest.created_at, shown),
        restoreChoicesText(version, conflict)
      );
      // The choices and their buttons first, what changed on the server below them: the
      // dialog body scrolls, and the decision must not be below the fold.
      this.question.replaceChildren(
        h(
          'div',
          {
            class: 'jp-OrcheoConflict oc-restore-conflict',
            role: 'alertdialog',
            'aria-label': 'This workflow changed on the server',
            'data-restore-conflict': '',
            'data-base': String(conflict.base),
            'data-latest': String(conflict.latest)
          },
          h('h3', {}, 'This workflow changed on the server'),
          content.text,
          content.choices,
          h(
            'div',
            { class: 'oc-conflict-buttons' },
            button('cancel', 'Cancel', '', 'Restore nothing'),
            refresh,
            button(
              'anyway',
              `Restore v${version} anyway`,
              'jp-mod-warn',
              `Store version ${version} as version ${conflict.latest + 1}, on top of theirs`
            )
          ),
          content.changes
        )
      );
      this.question.hidden = false;
      this.status.textContent = `v${version} is not restored yet: version ${conflict.latest} was stored after this list was shown.`;
      this.answer = answer;
      refresh.focus();
    });
  }

  /** Closing the dialog while a restore conflict asks is Cancel: nothing is stored. */
  protected onBeforeDetach(msg: Message): void {
    this.answer?.('cancel');
    super.onBeforeDetach(msg);
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
    body: new VersionsBody(api, workflowId, title, restored),
    buttons: [Dialog.cancelButton({ label: 'Close' })]
  });
}
