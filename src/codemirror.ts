/**
 * The code node's editor in the notebook widget: CodeMirror 6 with Python
 * highlighting, line numbers, undo history and Tab indentation, bundled (anywidget
 * has no editor to borrow). JupyterLab documents use Lab's own editor instead
 * (src/lab/code.ts).
 */

import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { pythonLanguage } from '@codemirror/lang-python';
import { bracketMatching, defaultHighlightStyle, indentOnInput, indentUnit, LanguageSupport, syntaxHighlighting } from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import { EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';
import { CodeField, CodeFieldOptions, debouncedCommit } from './canvas/code';
import { errorMarks, showError } from './canvas/codemarks';

const theme = EditorView.theme({
  '&': {
    fontSize: 'var(--jp-code-font-size, 13px)',
    border: '1px solid var(--jp-border-color1, #bdbdbd)',
    backgroundColor: 'var(--jp-cell-editor-background, #f7f7f7)',
    color: 'var(--jp-content-font-color1, #212121)'
  },
  '&.cm-focused': { outline: '1px solid var(--jp-brand-color1, #1976d2)' },
  '.cm-scroller': { fontFamily: 'var(--jp-code-font-family, monospace)', minHeight: '9em', maxHeight: '24em' },
  '.cm-gutters': {
    backgroundColor: 'var(--jp-cell-editor-background, #f7f7f7)',
    color: 'var(--jp-ui-font-color2, #757575)',
    borderRight: '1px solid var(--jp-border-color2, #e0e0e0)'
  },
  '.cm-content': { caretColor: 'var(--jp-editor-cursor-color, #000)' }
});

export function codeMirrorField({ value, readOnly, onChange }: CodeFieldOptions): CodeField {
  const commits = debouncedCommit(value, onChange);
  const element = document.createElement('div');
  element.className = 'oc-code oc-code-cm';
  element.dataset.field = 'body';
  const view = new EditorView({
    parent: element,
    state: EditorState.create({
      doc: value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        history(),
        indentOnInput(),
        bracketMatching(),
        indentUnit.of('    '),
        new LanguageSupport(pythonLanguage),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        keymap.of([indentWithTab, ...defaultKeymap, ...historyKeymap]),
        EditorState.readOnly.of(readOnly),
        EditorView.editable.of(!readOnly),
        EditorView.contentAttributes.of({ 'aria-label': 'Python code of the node' }),
        EditorView.updateListener.of(update => {
          if (update.docChanged) commits.change(update.state.doc.toString());
          if (update.focusChanged && !update.view.hasFocus) commits.flush();
        }),
        errorMarks(),
        theme
      ]
    })
  });
  return {
    element,
    setError: (line, message) => showError(view, line, message),
    focus: () => view.focus(),
    dispose: () => {
      commits.flush();
      view.destroy();
    }
  };
}
