/** The sidebar: workflows stored on the server and their recent runs. */

import { Widget } from '@lumino/widgets';
import { h } from '../canvas/form';
import { iconElement } from '../canvas/icons';
import { ExecutionSummary, OrcheoApi, WorkflowSummary } from './api';
import { startRun } from './start';
import { CredentialsSection } from './credentials';

export interface SidebarActions {
  openRun(id: string): void;
  openWorkflow(workflow: WorkflowSummary): void;
  /** The Versions dialog (diff, restore) of a workflow. */
  versions?(workflow: WorkflowSummary): void;
}

export class Sidebar extends Widget {
  private selected: string | null = null;
  /** Workflow names by id (runs name their workflow, never just its hex id). */
  private names = new Map<string, string>();
  private readonly workflowsEl = h('ul', { class: 'oc-workflows' });
  private readonly runsEl = h('ul', { class: 'oc-runs' });
  private readonly runsTitle = h('span', {}, 'Recent runs');
  /** Versions of the selected workflow (compare, restore); shown while one is selected. */
  private readonly versionsButton = h(
    'button',
    {
      type: 'button',
      class: 'jp-mod-styled',
      'data-action': 'versions',
      title: 'Compare and restore versions',
      hidden: ''
    },
    'Versions'
  );
  private readonly messageEl = h('div', { class: 'oc-muted' });
  private timer = 0;
  private workflows: WorkflowSummary[] = [];
  /** Whether a listing has answered yet: the first opens the runtime (seconds). */
  private listed = false;

  constructor(
    private readonly api: OrcheoApi,
    private readonly actions: SidebarActions
  ) {
    super();
    this.credentials = new CredentialsSection(api);
    this.id = 'orcheo-sidebar';
    this.addClass('jp-OrcheoSidebar');
    this.title.caption = 'Orcheo workflows and runs';
    this.versionsButton.addEventListener('click', () => {
      const w = this.workflows.find(x => x.id === this.selected);
      if (w) this.actions.versions?.(w);
    });
    const refresh = h('button', { type: 'button', class: 'jp-mod-styled', 'data-action': 'refresh' }, 'Refresh');
    refresh.addEventListener('click', () => void this.refresh());
    this.node.append(
      h('h3', {}, h('span', {}, 'Workflows'), refresh),
      this.messageEl,
      this.workflowsEl,
      h('h3', {}, this.runsTitle, this.versionsButton),
      this.runsEl,
      this.credentials.node
    );
  }

  /** The vault's credentials: add, rotate, delete (values go to the server only). */
  private readonly credentials: CredentialsSection;

  protected onAfterShow(): void {
    void this.refresh();
    window.clearInterval(this.timer);
    this.timer = window.setInterval(() => void this.refreshRuns(), 5000);
  }

  protected onAfterHide(): void {
    window.clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    let workflows: WorkflowSummary[] = [];
    if (!this.listed) {
      // With nothing stored yet, the server opens its runtime on this first request.
      this.messageEl.textContent = 'Loading…';
      this.node.setAttribute('aria-busy', 'true');
    }
    try {
      workflows = await this.api.workflows();
      this.messageEl.textContent = workflows.length
        ? ''
        : 'No workflows stored yet. Run a canvas document or POST one to /orcheo/api/workflows.';
    } catch (err) {
      this.messageEl.textContent = `Cannot reach the orcheo API: ${(err as Error).message}`;
    }
    this.listed = true;
    this.node.removeAttribute('aria-busy');
    this.workflowsEl.replaceChildren();
    this.workflows = workflows;
    for (const w of workflows) this.names.set(w.id, w.name);
    for (const w of workflows) {
      const run = h(
        'button',
        {
          type: 'button',
          class: 'jp-mod-styled',
          title: 'Run the latest version',
          'aria-label': 'Run the latest version',
          'data-action': 'run'
        },
        iconElement('play')
      );
      run.addEventListener('click', async ev => {
        ev.stopPropagation();
        try {
          const id = await startRun(this.api, w.id, w.name);
          if (id === null) return;
          this.actions.openRun(id);
          void this.refreshRuns();
        } catch (err) {
          this.messageEl.textContent = `Cannot run ${w.name}: ${(err as Error).message}`;
        }
      });
      const open = h(
        'button',
        {
          type: 'button',
          class: 'jp-mod-styled',
          title: 'Open the file that holds this workflow',
          'aria-label': 'Open the file that holds this workflow',
          'data-action': 'open'
        },
        iconElement('pencil')
      );
      open.addEventListener('click', ev => {
        ev.stopPropagation();
        this.actions.openWorkflow(w);
      });
      const li = h(
        'li',
        { 'data-workflow-id': w.id, title: w.description ?? '' },
        h('span', {}, w.name),
        h('span', { class: 'oc-meta' }, `v${w.latest_version ?? '?'}`),
        open,
        run
      );
      if (w.id === this.selected) li.classList.add('jp-mod-selected');
      li.addEventListener('click', () => {
        this.selected = this.selected === w.id ? null : w.id;
        void this.refresh();
      });
      this.workflowsEl.append(li);
    }
    await Promise.all([this.refreshRuns(), this.credentials.refresh()]);
  }

  async refreshRuns(): Promise<void> {
    let runs: ExecutionSummary[];
    try {
      runs = await this.api.executions(this.selected ?? undefined, 25);
    } catch {
      runs = [];
    }
    const nameOf = (id: string | null | undefined): string => (id ? (this.names.get(id) ?? id) : '');
    this.runsTitle.textContent = this.selected ? `Runs of ${nameOf(this.selected)}` : 'Recent runs';
    this.versionsButton.hidden = !this.selected || !this.actions.versions;
    this.runsEl.replaceChildren();
    if (!runs.length) this.runsEl.append(h('li', { class: 'oc-muted' }, 'No runs.'));
    for (const r of runs) {
      const view = h(
        'button',
        {
          type: 'button',
          class: 'jp-mod-styled',
          title: 'Open in the run viewer',
          'aria-label': 'Open in the run viewer',
          'data-action': 'view'
        },
        iconElement('timeline')
      );
      const li = h(
        'li',
        { 'data-run-id': r.id, title: `${r.error ? r.error + '\n' : ''}Run ${r.id} (click to open in the run viewer)` },
        h('span', { class: `oc-state oc-state-${r.status}` }, r.status === 'interrupted' ? 'waiting' : r.status),
        h('span', { class: 'oc-run-name' }, nameOf(r.workflow_id)),
        h('span', { class: 'oc-meta' }, `${r.id.slice(0, 8)} ${(r.created_at ?? '').replace('T', ' ').slice(5, 16)}`),
        view
      );
      li.addEventListener('click', () => this.actions.openRun(r.id));
      this.runsEl.append(li);
    }
  }

  dispose(): void {
    window.clearInterval(this.timer);
    super.dispose();
  }
}
