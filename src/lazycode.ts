/**
 * The notebook widget's code field, loaded on first use: the CodeMirror module
 * (static/codemirror.js) comes from the kernel over the widget's comm the first
 * time a page shows a code node, and is imported once per page and version. Until
 * then the field shows the code read-only; if it cannot load, a text area.
 */

import { CodeField, CodeFieldFactory, CodeFieldOptions, textareaField } from './canvas/code';
import { timeoutMessage } from './canvas/replies';
import { CanvasModel, deadlineMs } from './widgetmodel';

type Channel = CanvasModel;

type EditorModule = { codeMirrorField: CodeFieldFactory };

const KEY = Symbol.for('orcheo-jupyter.code-editor');
const loaded: Map<string, Promise<EditorModule>> = ((globalThis as Record<symbol, unknown>)[KEY] ??= new Map()) as Map<
  string,
  Promise<EditorModule>
>;

function fetchModule(model: Channel): Promise<EditorModule> {
  const request = Math.random().toString(36).slice(2);
  // A kernel that never sends the editor leaves the text area in place after this long.
  const timeoutMs = deadlineMs(model, 'reply_timeout');
  return new Promise<DataView | ArrayBuffer>((resolve, reject) => {
    const timer = setTimeout(() => {
      model.off('msg:custom', onMessage);
      reject(new Error(timeoutMessage('the code editor request', timeoutMs)));
    }, timeoutMs);
    const onMessage = (...args: unknown[]): void => {
      const msg = args[0] as { type?: string; request?: string } | undefined;
      if (msg?.type !== 'code_editor' || msg.request !== request) return;
      clearTimeout(timer);
      model.off('msg:custom', onMessage);
      const buffers = (args[1] as (DataView | ArrayBuffer)[] | undefined) ?? [];
      if (buffers.length) resolve(buffers[0]);
      else reject(new Error('the kernel has no code editor bundle'));
    };
    model.on('msg:custom', onMessage);
    model.send({ type: 'code_editor', request });
  }).then(async buffer => {
    const url = URL.createObjectURL(new Blob([new TextDecoder().decode(buffer)], { type: 'text/javascript' }));
    try {
      return (await import(/* webpackIgnore: true */ url)) as EditorModule;
    } finally {
      URL.revokeObjectURL(url);
    }
  });
}

function editorModule(model: Channel): Promise<EditorModule> {
  const version = String(model.get('bundle_version') ?? '');
  let module = loaded.get(version);
  if (!module) {
    module = fetchModule(model);
    loaded.set(version, module);
    module.catch(() => loaded.delete(version));
  }
  return module;
}

export function lazyCodeField(model: Channel): CodeFieldFactory {
  return (options: CodeFieldOptions): CodeField => {
    const slot = document.createElement('div');
    slot.className = 'oc-code-slot';
    const preview = document.createElement('pre');
    preview.className = 'oc-code-text oc-code-loading';
    preview.textContent = options.value;
    slot.append(preview);
    let field: CodeField | null = null;
    let disposed = false;
    let error: [number | null, string | undefined] | null = null;
    let focus = false;
    const show = (make: CodeFieldFactory): void => {
      if (disposed) return;
      field = make(options);
      slot.replaceChildren(field.element);
      if (error) field.setError(error[0], error[1]);
      if (focus) field.focus();
    };
    editorModule(model).then(
      m => show(m.codeMirrorField),
      () => show(textareaField)
    );
    return {
      element: slot,
      setError: (line, message) => {
        error = [line, message];
        field?.setError(line, message);
      },
      focus: () => {
        focus = true;
        field?.focus();
      },
      dispose: () => {
        disposed = true;
        field?.dispose();
      }
    };
  };
}
