/**
 * The code node's editor in JupyterLab: Lab's own CodeMirror editor (its theme,
 * keymaps and Python mode, from IEditorServices), so the canvas ships no second
 * copy of CodeMirror. The error mark extension runs on Lab's CodeMirror instance.
 */

import { CodeEditor, IEditorServices } from '@jupyterlab/codeeditor';
import type { EditorView } from '@codemirror/view';
import { CodeField, CodeFieldFactory, CodeFieldOptions, debouncedCommit } from '../canvas/code';
import { errorMarks, showError } from '../canvas/codemarks';

/** Lab's CodeMirrorEditor exposes its EditorView as ``editor``. */
interface LabCodeMirror extends CodeEditor.IEditor {
  editor?: EditorView;
}

export function labCodeField(services: IEditorServices): CodeFieldFactory {
  return ({ value, readOnly, onChange }: CodeFieldOptions): CodeField => {
    const commits = debouncedCommit(value, onChange);
    const element = document.createElement('div');
    element.className = 'oc-code oc-code-cm jp-OrcheoCodeEditor';
    element.dataset.field = 'body';
    const model = new CodeEditor.Model({ mimeType: 'text/x-python' });
    model.sharedModel.setSource(value);
    const editor = services.factoryService.newInlineEditor({
      host: element,
      model,
      config: { lineNumbers: true, readOnly, lineWrap: false, tabSize: 4, indentUnit: '4' }
    }) as LabCodeMirror;
    editor.injectExtension(errorMarks());
    const onSource = (): void => commits.change(model.sharedModel.getSource());
    model.sharedModel.changed.connect(onSource);
    element.addEventListener('focusout', () => commits.flush());
    return {
      element,
      setError: (line, message) => {
        if (editor.editor) showError(editor.editor, line, message);
      },
      focus: () => editor.focus(),
      dispose: () => {
        commits.flush();
        model.sharedModel.changed.disconnect(onSource);
        editor.dispose();
        model.dispose();
      }
    };
  };
}
