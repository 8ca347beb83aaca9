/**
 * The code field of a Python code node: a real editor (CodeMirror 6) supplied by
 * the host (JupyterLab's own editor in Lab, a bundled one in the notebook widget),
 * with a plain text area where no host gives one. Line numbers are the lines of the
 * code as written, and a run's error on line N is marked on line N.
 */

import { h } from './form';

export interface CodeFieldOptions {
  value: string;
  readOnly: boolean;
  /** The whole new text, after the user paused typing or left the editor. */
  onChange: (text: string) => void;
}

export interface CodeField {
  element: HTMLElement;
  /** Mark ``line`` (1-based) with ``message``; null clears the mark. */
  setError(line: number | null, message?: string): void;
  focus(): void;
  dispose(): void;
}

export type CodeFieldFactory = (options: CodeFieldOptions) => CodeField;

/** Wait this long after the last keystroke before an edit becomes a document change. */
export const COMMIT_DELAY_MS = 400;

/**
 * Calls ``commit`` with the latest text once typing pauses, or at once on ``flush``
 * (blur); the same text is never committed twice.
 */
export function debouncedCommit(
  initial: string,
  commit: (text: string) => void
): { change(text: string): void; flush(): void; cancel(): void } {
  let last = initial;
  let pending: string | null = null;
  let timer = 0;
  const flush = (): void => {
    window.clearTimeout(timer);
    if (pending === null || pending === last) return;
    last = pending;
    pending = null;
    commit(last);
  };
  return {
    change(text: string) {
      pending = text;
      window.clearTimeout(timer);
      timer = window.setTimeout(flush, COMMIT_DELAY_MS);
    },
    flush,
    cancel: () => window.clearTimeout(timer)
  };
}

/**
 * The code line an error names: the runtime's "(line N of its code)" or a
 * compile problem's "syntax error on line N". Null when it names none.
 */
export function errorLine(text: string | undefined | null): number | null {
  if (!text) return null;
  const m = /\(line (\d+) of its code\)/.exec(text) ?? /syntax error on line (\d+)/.exec(text);
  return m ? Number(m[1]) : null;
}

/** The fallback: a text area with line numbers beside it. */
export function textareaField({ value, readOnly, onChange }: CodeFieldOptions): CodeField {
  const area = h('textarea', { class: 'oc-code-text', spellcheck: 'false', rows: '10' });
  area.value = value;
  area.disabled = readOnly;
  const error = h('div', { class: 'oc-code-error-message', hidden: '' });
  const box = h('div', { class: 'oc-code oc-code-plain', 'data-field': 'body' }, area, error);
  area.addEventListener('keydown', ev => {
    if (ev.key === 'Tab' && !ev.shiftKey) {
      ev.preventDefault();
      area.setRangeText('    ', area.selectionStart, area.selectionEnd, 'end');
    }
  });
  area.addEventListener('change', () => onChange(area.value));
  return {
    element: box,
    setError(line, message) {
      error.hidden = line === null;
      error.textContent = line === null ? '' : `line ${line}: ${message ?? ''}`;
    },
    focus: () => area.focus(),
    dispose: () => undefined
  };
}
