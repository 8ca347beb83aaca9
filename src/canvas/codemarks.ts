/**
 * A CodeMirror 6 extension that marks the line a run's error names: the line is
 * tinted, its number flagged, and the message shown under it. Shared by the bundled
 * editor (widget) and JupyterLab's editor (Lab provides the CodeMirror instance).
 */

import { EditorState, StateEffect, StateField, Extension, RangeSetBuilder } from '@codemirror/state';
import { Decoration, DecorationSet, EditorView, WidgetType } from '@codemirror/view';

export interface ErrorMark {
  line: number;
  message: string;
}

export const setErrorMark = StateEffect.define<ErrorMark | null>();

class MessageWidget extends WidgetType {
  constructor(readonly text: string) {
    super();
  }

  eq(other: MessageWidget): boolean {
    return other.text === this.text;
  }

  toDOM(): HTMLElement {
    const el = document.createElement('div');
    el.className = 'oc-code-error-message';
    el.setAttribute('role', 'alert');
    el.textContent = this.text;
    return el;
  }
}

function decorate(state: EditorState, mark: ErrorMark | null): DecorationSet {
  if (!mark || mark.line < 1 || mark.line > state.doc.lines) return Decoration.none;
  const line = state.doc.line(mark.line);
  const builder = new RangeSetBuilder<Decoration>();
  builder.add(
    line.from,
    line.from,
    Decoration.line({
      class: 'oc-code-error-line',
      attributes: { 'data-error-line': String(mark.line), title: mark.message }
    })
  );
  builder.add(
    line.to,
    line.to,
    Decoration.widget({ widget: new MessageWidget(`line ${mark.line}: ${mark.message}`), block: true, side: 1 })
  );
  return builder.finish();
}

const marks = StateField.define<{ mark: ErrorMark | null; decorations: DecorationSet }>({
  create: () => ({ mark: null, decorations: Decoration.none }),
  update(value, tr) {
    let mark = value.mark;
    for (const effect of tr.effects) if (effect.is(setErrorMark)) mark = effect.value;
    // Once the user edits, the old error no longer describes the code: drop it.
    if (tr.docChanged && mark === value.mark) mark = null;
    if (mark === value.mark && !tr.docChanged) return value;
    return { mark, decorations: decorate(tr.state, mark) };
  },
  provide: field => EditorView.decorations.from(field, value => value.decorations)
});

export function errorMarks(): Extension {
  return [
    marks,
    EditorView.baseTheme({
      '.oc-code-error-line': { backgroundColor: 'rgba(217, 48, 37, 0.12)' },
      '.oc-code-error-message': {
        color: 'var(--jp-error-color1, #d93025)',
        fontFamily: 'var(--jp-ui-font-family, sans-serif)',
        fontSize: '12px',
        padding: '1px 6px 3px'
      }
    })
  ];
}

export function showError(view: EditorView, line: number | null, message = ''): void {
  view.dispatch({ effects: setErrorMark.of(line === null ? null : { line, message }) });
}
