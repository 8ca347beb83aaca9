/**
 * The code node's editor in the notebook widget: CodeMirror 6 with Python
 * highlighting, line numbers, undo history and Tab indentation, bundled (anywidget
 * has no editor to borrow). JupyterLab documents use Lab's own editor instead
 * (src/lab/code.ts).
 */

import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { pythonLanguage } from '@codemirror/lang-python';
import {
  bracketMatching,
  HighlightStyle,
  indentOnInput,
  indentUnit,
  LanguageSupport,
  syntaxHighlighting
} from '@codemirror/language';
import { tags as t } from '@lezer/highlight';
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

/** Token colours from JupyterLab's theme variables, so the widget's code reads as Lab's does, dark theme included. */
const labColours = HighlightStyle.define([
  { tag: t.keyword, color: 'var(--jp-mirror-editor-keyword-color, #008000)', fontWeight: 'bold' },
  {
    tag: [t.definitionKeyword, t.controlKeyword, t.moduleKeyword],
    color: 'var(--jp-mirror-editor-keyword-color, #008000)',
    fontWeight: 'bold'
  },
  { tag: [t.operator, t.operatorKeyword], color: 'var(--jp-mirror-editor-operator-color, #aa22ff)' },
  { tag: [t.string, t.special(t.string)], color: 'var(--jp-mirror-editor-string-color, #ba2121)' },
  { tag: t.number, color: 'var(--jp-mirror-editor-number-color, #080)' },
  { tag: [t.bool, t.null, t.atom], color: 'var(--jp-mirror-editor-builtin-color, #008000)' },
  { tag: t.comment, color: 'var(--jp-mirror-editor-comment-color, #408080)', fontStyle: 'italic' },
  {
    tag: [t.function(t.definition(t.variableName)), t.definition(t.className)],
    color: 'var(--jp-mirror-editor-def-color, #0000ff)'
  },
  { tag: t.standard(t.variableName), color: 'var(--jp-mirror-editor-builtin-color, #008000)' },
  { tag: t.variableName, color: 'var(--jp-mirror-editor-variable-color, #212121)' },
  { tag: t.propertyName, color: 'var(--jp-mirror-editor-property-color, #05a)' },
  { tag: t.meta, color: 'var(--jp-mirror-editor-meta-color, #aa22ff)' },
  { tag: t.bracket, color: 'var(--jp-mirror-editor-bracket-color, #997)' }
]);

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
        syntaxHighlighting(labColours),
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
