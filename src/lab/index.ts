/**
 * The JupyterLab plugin: ``*.orcheo.json`` opens as a canvas document; a "New
 * Workflow" launcher item and palette commands; "Import as Orcheo workflow" on a
 * ``.py`` file in the file browser; a sidebar of workflows and runs; a run viewer
 * that follows a run live.
 */

import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, InputDialog, MainAreaWidget, showErrorMessage, WidgetTracker } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { PathExt } from '@jupyterlab/coreutils';
import { IDocumentWidget } from '@jupyterlab/docregistry';
import { IDefaultFileBrowser, IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { LabIcon } from '@jupyterlab/ui-components';
import { OrcheoApi, WorkflowSummary } from './api';
import { dumps } from '../canvas/canonical';
import { blankDocument, CanvasFactory, CanvasPanel, FACTORY, FILE_TYPE, newWorkflowId } from './document';
import { workflowFile } from './files';
import { ScriptImporter } from './importscript';
import { isScript } from './pyimport';
import { NotebookDebugger } from './notebookdebug';
import { iconNames, iconSvg, setIconRenderer } from '../canvas/icons';
import { RunViewer } from './runviewer';
import { Sidebar } from './sidebar';
import { showVersions } from './versions';
import { pickTemplate } from './templatepicker';
import { ToolbarButton } from '@jupyterlab/ui-components';
import { ApiError } from './api';
import { workflowIdFor } from './identity';
import { WorkflowDocument } from '../canvas/types';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
  '<circle cx="5" cy="5" r="3"/><circle cx="19" cy="12" r="3"/><circle cx="5" cy="19" r="3"/>' +
  '<path d="M7.5 6.2l9 4.6-.9 1.8-9-4.6zM7.5 17.8l9-4.6-.9-1.8-9 4.6z"/></g></svg>';

export const orcheoIcon = new LabIcon({ name: 'orcheo-jupyter:workflow', svgstr: ICON_SVG });

/**
 * The canvas's icons as LabIcons (the same SVG the notebook widget inlines): the
 * canvas in Lab draws them through Lab's icon machinery, and other extensions can
 * use them by name (``orcheo-jupyter:icon-<name>``).
 */
export const canvasIcons: Record<string, LabIcon> = Object.fromEntries(
  iconNames().map(name => [name, new LabIcon({ name: `orcheo-jupyter:icon-${name}`, svgstr: iconSvg(name) })])
);
setIconRenderer(name => canvasIcons[name]?.element({ tag: 'span', className: 'oc-labicon' }) ?? null);

const CMD = {
  newWorkflow: 'orcheo:new-workflow',
  newFromTemplate: 'orcheo:new-workflow-from-template',
  openRun: 'orcheo:open-run',
  showSidebar: 'orcheo:show-sidebar',
  refresh: 'orcheo:refresh-sidebar',
  runDocument: 'orcheo:run-document',
  versions: 'orcheo:workflow-versions',
  importPython: 'orcheo:import-python'
};

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'orcheo-jupyter:plugin',
  description: 'Workflow canvas documents, sidebar and run viewer for orcheo-jupyter.',
  autoStart: true,
  optional: [
    ICommandPalette,
    ILauncher,
    ILayoutRestorer,
    IDefaultFileBrowser,
    IMainMenu,
    IEditorServices,
    IFileBrowserFactory
  ],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    browser: IDefaultFileBrowser | null,
    mainMenu: IMainMenu | null,
    editorServices: IEditorServices | null,
    browsers: IFileBrowserFactory | null
  ) => {
    const api = new OrcheoApi();
    const runs = new WidgetTracker<MainAreaWidget<RunViewer>>({ namespace: 'orcheo-runs' });
    const docs = new WidgetTracker<IDocumentWidget<CanvasPanel>>({ namespace: 'orcheo-canvas' });
    const notebooks = new NotebookDebugger(app);

    const openRun = (id: string): void => {
      const existing = runs.find(w => w.content.runId === id);
      if (existing) {
        app.shell.activateById(existing.id);
        return;
      }
      const widget = new MainAreaWidget({
        content: new RunViewer(api, id, name => (widget.title.label = `${name} · run ${id.slice(0, 8)}`), {
          openRun,
          debugNode: (runId, node) => notebooks.debug(runId, node)
        })
      });
      widget.id = `orcheo-run-${id}`;
      widget.title.label = `Run ${id.slice(0, 8)}`;
      widget.title.icon = orcheoIcon;
      void runs.add(widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
    };

    app.docRegistry.addFileType({
      name: FILE_TYPE,
      displayName: 'Orcheo Workflow',
      extensions: ['.orcheo.json'],
      mimeTypes: ['application/json'],
      contentType: 'file',
      fileFormat: 'text',
      icon: orcheoIcon
    });
    if (restorer) {
      void restorer.restore(runs, {
        command: CMD.openRun,
        args: w => ({ id: w.content.runId }),
        name: w => w.content.runId
      });
    }
    const factory = new CanvasFactory(
      { name: FACTORY, label: 'Workflow Canvas', modelName: 'text', fileTypes: [FILE_TYPE], defaultFor: [FILE_TYPE] },
      api,
      openRun,
      editorServices,
      app.serviceManager.contents
    );
    factory.widgetCreated.connect((_, widget) => {
      widget.title.icon = orcheoIcon;
      widget.toolbar.addItem(
        'orcheo-versions',
        new ToolbarButton({
          label: 'Versions',
          tooltip: 'Compare stored versions of this workflow and restore one',
          onClick: () => void app.commands.execute(CMD.versions, { path: widget.context.path })
        })
      );
      void docs.add(widget);
    });
    app.docRegistry.addWidgetFactory(factory);
    if (restorer) {
      void restorer.restore(docs, {
        command: 'docmanager:open',
        args: w => ({ path: w.context.path, factory: FACTORY }),
        name: w => w.context.path
      });
    }

    const cwd = (): string => browser?.model.path ?? '';
    /** The first free ``BASE.orcheo.json``, ``BASE1.orcheo.json``... in the browser's folder. */
    const freePath = async (base: string): Promise<string> => {
      // One listing of the folder, not a probe per name: a probe of a free name is a 404
      // that the browser logs as an error.
      const folder = await app.serviceManager.contents.get(cwd(), { content: true });
      const taken = new Set(
        Array.isArray(folder.content) ? (folder.content as { name: string }[]).map(item => item.name) : []
      );
      const name = (i: number): string => (i === 0 ? `${base}.orcheo.json` : `${base}${i}.orcheo.json`);
      let i = 0;
      while (taken.has(name(i))) i++;
      return PathExt.join(cwd(), name(i));
    };
    const stemOf = (path: string): string => PathExt.basename(path).replace(/\.orcheo\.json$/, '');
    const newWorkflow = async (): Promise<void> => {
      const path = await freePath('untitled');
      await app.serviceManager.contents.save(path, {
        type: 'file',
        format: 'text',
        content: blankDocument(stemOf(path))
      });
      await app.commands.execute('docmanager:open', { path, factory: FACTORY });
    };
    const newFromTemplate = async (): Promise<void> => {
      let choices;
      try {
        choices = await api.templates();
      } catch (err) {
        await showErrorMessage('Workflow from template', `Cannot list templates: ${String(err)}`);
        return;
      }
      const picked = await pickTemplate(choices);
      const template = choices.find(t => t.name === picked);
      if (!template) return;
      const doc = await api.template(template.name);
      const path = await freePath(template.name);
      const text = dumps({ ...doc, id: newWorkflowId(), name: stemOf(path) });
      await app.serviceManager.contents.save(path, { type: 'file', format: 'text', content: text });
      await app.commands.execute('docmanager:open', { path, factory: FACTORY });
    };
    app.commands.addCommand(CMD.newWorkflow, {
      label: args => (args.isLauncher ? 'Workflow' : 'New Workflow'),
      caption: 'Create a workflow document and open it on the canvas',
      icon: args => (args.isPalette ? undefined : orcheoIcon),
      execute: () => newWorkflow()
    });

    app.commands.addCommand(CMD.newFromTemplate, {
      label: args => (args.isLauncher ? 'Workflow from template' : 'New Workflow from Template…'),
      caption: 'Create a workflow from the templates gallery and open it on the canvas',
      icon: args => (args.isPalette ? undefined : orcheoIcon),
      execute: () => newFromTemplate()
    });

    app.commands.addCommand(CMD.openRun, {
      label: 'Open Run Viewer…',
      caption: 'Follow a workflow run by its execution id',
      execute: async args => {
        let id = typeof args.id === 'string' ? args.id : '';
        if (!id) {
          const answer = await InputDialog.getText({ title: 'Execution id', placeholder: 'run id' });
          id = answer.value?.trim() ?? '';
        }
        if (!id) return;
        try {
          openRun(await api.resolveRun(id)); // the 8-character ids shown everywhere work too
        } catch (err) {
          await showErrorMessage('Cannot open the run', (err as Error).message);
        }
      }
    });

    const sidebar = new Sidebar(api, {
      openRun,
      openWorkflow: (w: WorkflowSummary) => void openStored(w),
      versions: (w: WorkflowSummary) => void app.commands.execute(CMD.versions, { id: w.id })
    });
    sidebar.title.icon = orcheoIcon;
    app.shell.add(sidebar, 'left', { rank: 850 });
    if (restorer) restorer.add(sidebar, 'orcheo-sidebar');

    const openStored = async (w: WorkflowSummary): Promise<void> => {
      const open = docs.find(d => d.content.canvas?.document.id === w.id);
      const path = open ? open.context.path : await workflowFile(api, app.serviceManager.contents, w, cwd());
      await app.commands.execute('docmanager:open', { path, factory: FACTORY });
    };

    app.commands.addCommand(CMD.showSidebar, {
      label: 'Show Workflows and Runs',
      execute: () => app.shell.activateById(sidebar.id)
    });
    app.commands.addCommand(CMD.refresh, {
      label: 'Refresh Workflows and Runs',
      execute: () => sidebar.refresh()
    });
    app.commands.addCommand(CMD.runDocument, {
      label: 'Open Run Viewer for Last Canvas Run',
      isEnabled: () => !!docs.currentWidget?.content.lastRun,
      execute: () => docs.currentWidget?.content.showLastRun()
    });

    /**
     * A restored version becomes the content of the open canvas files of that workflow;
     * a file with unsaved edits is left alone (its edits are never thrown away): the notes say so.
     */
    const restored = (workflowId: string, doc: WorkflowDocument): string[] => {
      const notes: string[] = [];
      for (const panel of docs.filter(
        d => !!d.content.canvas && workflowIdFor(d.content.canvas.document, d.context.path) === workflowId
      )) {
        if (panel.context.model.dirty) {
          notes.push(`${panel.context.path} has unsaved changes and was left as it is.`);
          continue;
        }
        panel.context.model.fromString(dumps(doc));
        void panel.context.save();
        notes.push(`${panel.context.path} now holds the restored version.`);
      }
      void sidebar.refresh();
      return notes;
    };
    app.commands.addCommand(CMD.versions, {
      label: 'Workflow Versions…',
      caption: 'Compare the stored versions of a workflow and restore one',
      isEnabled: args => typeof args.id === 'string' || typeof args.path === 'string' || !!docs.currentWidget,
      execute: async args => {
        let id = typeof args.id === 'string' ? args.id : '';
        let title = id;
        if (!id) {
          const panel =
            typeof args.path === 'string' ? docs.find(d => d.context.path === args.path) : docs.currentWidget;
          const doc = panel?.content.canvas?.document;
          if (!panel || !doc) return;
          id = workflowIdFor(doc, panel.context.path);
          title = doc.name || id;
        }
        try {
          const stored = await api.workflow(id);
          title = stored.name || title;
          id = stored.id;
        } catch (err) {
          const message =
            err instanceof ApiError && err.status === 404
              ? 'This workflow has no stored versions yet: run it (or save it to the server) to store its first version.'
              : (err as Error).message;
          await showErrorMessage('Workflow versions', message);
          return;
        }
        const workflowId = id;
        await showVersions(api, id, title, doc => restored(workflowId, doc));
      }
    });

    /** The ``.py`` files selected in the file browser in use (the one right-clicked in, else the default). */
    const selectedScripts = (): string[] => {
      const current = browsers?.tracker.currentWidget ?? browser;
      if (!current) return [];
      return [...current.selectedItems()].filter(item => item.type === 'file' && isScript(item.path)).map(i => i.path);
    };
    const scripts = (args: { path?: unknown }): string[] =>
      typeof args.path === 'string' ? (isScript(args.path) ? [args.path] : []) : selectedScripts();
    const importer = new ScriptImporter(
      api,
      app.serviceManager.contents,
      path => app.commands.execute('docmanager:open', { path, factory: FACTORY }),
      () => app.commands.notifyCommandChanged(CMD.importPython)
    );
    app.commands.addCommand(CMD.importPython, {
      label: args => {
        const label = args.isPalette ? 'Import Selected Python Script as Workflow' : 'Import as Orcheo workflow';
        return importer.busy ? `${label} (importing…)` : label;
      },
      caption:
        'Make a stored workflow of a LangGraph script and open it on the canvas ' +
        '(written beside the script as <name>.orcheo.json)',
      icon: args => (args.isPalette ? undefined : orcheoIcon),
      isEnabled: args => !importer.busy && scripts(args).length > 0,
      execute: args => importer.importScripts(scripts(args))
    });
    // Right-clicking a Python file in the file browser (Lab's "python" file type: *.py).
    app.contextMenu.addItem({
      command: CMD.importPython,
      selector: '.jp-DirListing-item[data-file-type="python"]',
      rank: 3
    });

    if (palette) {
      const category = 'Orcheo';
      for (const command of [
        CMD.newWorkflow,
        CMD.newFromTemplate,
        CMD.openRun,
        CMD.showSidebar,
        CMD.refresh,
        CMD.runDocument,
        CMD.versions,
        CMD.importPython
      ]) {
        palette.addItem({ command, category, args: { isPalette: true } });
      }
    }
    if (mainMenu) {
      mainMenu.fileMenu.newMenu.addItem({ command: CMD.newWorkflow, rank: 30, args: { isLauncher: true } });
    }
    if (launcher) {
      launcher.add({ command: CMD.newWorkflow, category: 'Other', rank: 1, args: { isLauncher: true } });
      launcher.add({ command: CMD.newFromTemplate, category: 'Other', rank: 2, args: { isLauncher: true } });
    }
  }
};

export default plugin;
