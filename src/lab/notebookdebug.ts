/**
 * "Debug in notebook": hand one node of a run to a notebook. A cell running
 * ``%orcheo debug RUN NODE`` is added to the notebook used last (or a new one) and
 * run; the magic loads the node's input into the kernel as ``state`` and inserts
 * the node's code (or config) below as an editable cell.
 *
 * Notebooks are found by their panel class and driven through Lab's own notebook
 * commands, so this needs no compile-time dependency on the notebook package.
 */

import { ILabShell, JupyterFrontEnd } from '@jupyterlab/application';
import { Kernel } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';
import { h } from '../canvas/form';

interface CellLike {
  model: { type: string; sharedModel: { getSource(): string; setSource(text: string): void } };
}

interface NotebookLike extends Widget {
  context: { ready: Promise<void> };
  sessionContext: { ready: Promise<void>; session: { kernel: Kernel.IKernelConnection | null } | null };
  content: { widgets: readonly CellLike[]; activeCellIndex: number; activeCell: CellLike | null };
}

function isNotebook(w: Widget | null | undefined): w is NotebookLike {
  return !!w && !w.isDisposed && w.hasClass('jp-NotebookPanel') && 'sessionContext' in w && 'content' in w;
}

/** Whether the kernel already has the ``%orcheo`` magics (loaded by hand or at start-up). */
async function hasOrcheo(kernel: Kernel.IKernelConnection | null | undefined): Promise<boolean> {
  if (!kernel) return false;
  try {
    const future = kernel.requestExecute({
      code: '',
      silent: true,
      store_history: false,
      user_expressions: { orcheo: "'orcheo' in get_ipython().magics_manager.magics['line']" }
    });
    const reply = await Promise.race([future.done, new Promise<null>(r => setTimeout(() => r(null), 10_000))]);
    const found = (
      reply?.content as
        { user_expressions?: Record<string, { status?: string; data?: Record<string, string> }> } | undefined
    )?.user_expressions?.orcheo;
    return found?.status === 'ok' && found.data?.['text/plain'] === 'True';
  } catch {
    return false;
  }
}

/** The cell that debugs ``node`` of run ``runId``; ``state`` last, so its output shows the node's input. */
export function debugSource(runId: string, node: string, load: boolean): string {
  return [...(load ? ['%load_ext orcheo_jupyter'] : []), `%orcheo debug ${runId} ${node}`, 'state'].join('\n');
}

export class NotebookDebugger {
  private last: NotebookLike | null = null;

  constructor(private readonly app: JupyterFrontEnd) {
    const shell = app.shell as unknown as Partial<ILabShell>;
    shell.currentChanged?.connect((_, args) => {
      if (isNotebook(args.newValue)) this.last = args.newValue;
    });
  }

  /** The active notebook, else the one used last, else none. */
  private target(): NotebookLike | null {
    const current = this.app.shell.currentWidget;
    if (isNotebook(current)) return current;
    if (this.last && !this.last.isDisposed && this.last.isAttached) return this.last;
    return null;
  }

  async debug(runId: string, node: string): Promise<void> {
    let nb = this.target();
    if (!nb) {
      const created = (await this.app.commands.execute('notebook:create-new', { kernelName: 'python3' })) as Widget;
      if (!isNotebook(created)) throw new Error('could not open a new notebook');
      nb = created;
    }
    this.app.shell.activateById(nb.id);
    await nb.context.ready;
    await nb.sessionContext.ready;
    const load = !(await hasOrcheo(nb.sessionContext.session?.kernel));
    const cells = nb.content.widgets;
    const last = cells[cells.length - 1];
    nb.content.activeCellIndex = cells.length - 1;
    if (!last || last.model.type !== 'code' || last.model.sharedModel.getSource().trim()) {
      await this.app.commands.execute('notebook:insert-cell-below');
    }
    const cell = nb.content.activeCell;
    if (!cell) throw new Error('the notebook has no cell to write into');
    cell.model.sharedModel.setSource(debugSource(runId, node, load));
    this.app.shell.activateById(nb.id);
    await this.app.commands.execute('notebook:run-cell');
  }
}

/** The run viewer's button for one node (with a status for what went wrong). */
export function debugButton(
  debug: (runId: string, node: string) => Promise<void>,
  runId: string,
  node: string,
  label: string
): HTMLElement {
  const status = h('span', { class: 'oc-muted', role: 'status' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'jp-mod-styled',
      'data-action': 'debug-in-notebook',
      'data-node': node,
      title: `A notebook cell with ${node}'s input state and its code`
    },
    label
  );
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = '';
    try {
      await debug(runId, node);
    } catch (err) {
      status.textContent = ` Cannot debug in a notebook: ${(err as Error).message}`;
    } finally {
      button.disabled = false;
    }
  });
  return h('span', { class: 'oc-debug-node' }, button, status);
}
