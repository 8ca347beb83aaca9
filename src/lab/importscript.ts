/**
 * "Import as Orcheo workflow": a LangGraph script in the file browser becomes a
 * stored workflow (``POST /workflows/import-python``) and a ``*.orcheo.json`` file
 * beside it, opened on the canvas. The server builds the graph in a sandbox, which
 * can take seconds: a notification says so meanwhile, and one import runs at a time.
 * A script the server refuses is told in a dialog; nothing is written then. One that
 * defines several graphs asks which of them to import.
 */

import { Dialog, InputDialog, Notification, showDialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { Contents } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';
import { dumps } from '../canvas/canonical';
import { OrcheoApi, StoredWorkflow } from './api';
import { rememberFile } from './files';
import { freeWorkflowFile, graphChoices, Refusal, refusal, scriptStem, workflowName } from './pyimport';
import { rememberBase } from './storedversion';

/** The dialog's body: the server's words, then the script line they name. */
class RefusalBody extends Widget {
  constructor(refused: Refusal) {
    super();
    this.addClass('jp-OrcheoImportRefusal');
    for (const message of refused.messages) {
      const p = document.createElement('p');
      p.className = 'oc-import-message';
      p.textContent = message;
      this.node.append(p);
    }
    if (refused.line !== null && refused.code.trim()) {
      const pre = document.createElement('pre');
      pre.className = 'oc-import-line';
      pre.dataset.line = String(refused.line);
      pre.textContent = `${refused.line} | ${refused.code}`;
      this.node.append(pre);
    }
  }
}

export class ScriptImporter {
  private running = false;

  constructor(
    private readonly api: OrcheoApi,
    private readonly contents: Contents.IManager,
    /** Opens a workflow file on the canvas. */
    private readonly open: (path: string) => Promise<unknown>,
    /** Called when an import starts or ends (the command's enabled state follows ``busy``). */
    private readonly changed: () => void
  ) {}

  /** Whether an import is running (the command is disabled until it ends). */
  get busy(): boolean {
    return this.running;
  }

  /** Import each script in turn; a call while an import runs does nothing. */
  async importScripts(paths: string[]): Promise<void> {
    if (this.running || !paths.length) return;
    this.running = true;
    this.changed();
    try {
      for (const path of paths) await this.importScript(path);
    } finally {
      this.running = false;
      this.changed();
    }
  }

  private async importScript(path: string): Promise<void> {
    const file = PathExt.basename(path);
    let script = '';
    const note = Notification.emit(`Importing ${file}: the server is building its graph…`, 'in-progress', {
      autoClose: false
    });
    let stored: StoredWorkflow;
    try {
      const model = await this.contents.get(path, { type: 'file', format: 'text', content: true });
      script = String(model.content ?? '');
      stored = await this.api.importPython(script, workflowName(path));
    } catch (err) {
      const refused = refusal(err, script);
      const entrypoint = await this.pickGraph(file, graphChoices(refused));
      if (entrypoint === null) {
        Notification.dismiss(note);
        await this.refused(file, refused);
        return;
      }
      try {
        stored = await this.api.importPython(script, workflowName(path), entrypoint);
      } catch (again) {
        Notification.dismiss(note);
        await this.refused(file, refusal(again, script));
        return;
      }
    }
    let target = '';
    try {
      const dir = PathExt.dirname(path);
      const folder = await this.contents.get(dir, { content: true });
      const taken = Array.isArray(folder.content) ? (folder.content as Contents.IModel[]).map(item => item.name) : [];
      target = PathExt.join(dir, freeWorkflowFile(scriptStem(path), taken));
      const text = dumps({ ...stored.document, id: stored.id });
      await this.contents.save(target, { type: 'file', format: 'text', content: text });
    } catch (err) {
      Notification.dismiss(note);
      await showDialog({
        title: `Imported ${file}, but its file was not written`,
        body:
          `The workflow "${stored.name}" is stored on the server (id ${stored.id}); writing ` +
          `${target || 'its .orcheo.json file'} failed: ${(err as Error).message}. ` +
          'Open it from the Orcheo sidebar to write its file.',
        buttons: [Dialog.okButton()]
      });
      return;
    }
    rememberFile(stored.id, target);
    rememberBase(stored.id, target, stored.version);
    Notification.update({
      id: note,
      message: `Imported ${file} as ${PathExt.basename(target)}`,
      type: 'success',
      autoClose: 5000
    });
    await this.open(target);
  }

  /**
   * A script that defines several graphs names none of them as the workflow: the user
   * picks one, which is imported as its entrypoint. Null: no choice to offer, or the
   * user cancelled (then the refusal is shown as it came).
   */
  private async pickGraph(file: string, graphs: string[]): Promise<string | null> {
    if (graphs.length < 2) return null;
    const picked = await InputDialog.getItem({
      title: `Which graph of ${file}?`,
      label: `${file} defines ${graphs.length} graphs. Import this one as the workflow:`,
      items: graphs,
      okLabel: 'Import'
    });
    return picked.button.accept && picked.value ? picked.value : null;
  }

  private async refused(file: string, refused: Refusal): Promise<void> {
    await showDialog({
      title: `Cannot import ${file}`,
      body: new RefusalBody(refused),
      buttons: [Dialog.okButton()]
    });
  }
}
