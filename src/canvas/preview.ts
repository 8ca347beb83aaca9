/**
 * Expression preview: under every text field of a node's form that holds a
 * ``{{template}}``, the value it resolves to against the chosen run's state,
 * updated as the user types. The host resolves (the runtime's own resolver);
 * one request covers the whole form when it is drawn, one per field per pause
 * in typing after that.
 */

import { h } from './form';
import { JSONValue } from './types';

type Field = HTMLInputElement | HTMLTextAreaElement;

/**
 * Resolve one value (any JSON) against the node's input; rejects with a message.
 * ``field`` names the config field (one per item of a list value): a field the node
 * renders itself (a Template node's Jinja) is previewed by the node's own rule, and
 * ``notes`` says where that gives no value.
 */
export type Resolve = (
  value: JSONValue,
  field: string | (string | null)[] | null
) => Promise<{ value: JSONValue; unresolved: string[]; notes?: string | (string | null)[] | null }>;

const DEBOUNCE_MS = 150;

function isTextField(el: Element | null): el is Field {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement)
    return !el.classList.contains('oc-code') && !el.classList.contains('oc-pin-input');
  return (
    el instanceof HTMLInputElement &&
    el.type === 'text' &&
    !el.classList.contains('oc-map-key') &&
    !el.classList.contains('oc-node-id')
  );
}

/** ``{{ path }}``, or a Jinja statement (``{% if %}``) where the node renders Jinja. */
function hasTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%');
}

function shown(value: JSONValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  const text = JSON.stringify(value, null, 1) ?? 'null';
  return text.length > 400 ? text.slice(0, 399) + '…' : text.replace(/\n\s*/g, ' ');
}

export class TemplatePreviews {
  private readonly lines = new WeakMap<Field, HTMLElement>();
  private readonly timers = new WeakMap<Field, number>();
  private readonly seqs = new WeakMap<Field, number>();
  private seq = 0;
  constructor(
    private readonly form: HTMLElement,
    private readonly resolve: Resolve,
    /** Told the place of the text field the user enters (kept across redraws by the caller). */
    private readonly entered: (index: number) => void = () => undefined
  ) {
    form.addEventListener('focusin', ev => {
      const field = ev.target as Element;
      if (isTextField(field)) this.entered(this.fields().indexOf(field));
    });
    form.addEventListener('input', ev => {
      const field = ev.target as Element;
      if (!isTextField(field)) return;
      window.clearTimeout(this.timers.get(field));
      this.timers.set(
        field,
        window.setTimeout(() => void this.one(field), DEBOUNCE_MS)
      );
    });
  }

  /** The form's text fields in document order (their index names them across redraws). */
  fields(): Field[] {
    return Array.from(this.form.querySelectorAll<Field>('input[type="text"], textarea')).filter(isTextField);
  }

  /** The config field (top-level key) a text field edits, from the form's outermost ``data-field``. */
  private fieldName(field: Field): string | null {
    let name: string | null = null;
    for (let el = field.closest<HTMLElement>('.oc-field'); el && this.form.contains(el);) {
      name = el.dataset.field ?? name;
      el = el.parentElement?.closest<HTMLElement>('.oc-field') ?? null;
    }
    return name;
  }

  /** Preview every field that holds a template, in one request. */
  async all(): Promise<void> {
    const fields = this.fields().filter(f => hasTemplate(f.value));
    if (!fields.length) return;
    const seq = ++this.seq;
    for (const f of fields) {
      this.seqs.set(f, seq);
      this.line(f).dataset.state = 'pending';
    }
    try {
      const res = await this.resolve(
        fields.map(f => f.value),
        fields.map(f => this.fieldName(f))
      );
      const values = Array.isArray(res.value) ? res.value : [];
      const notes = Array.isArray(res.notes) ? res.notes : [];
      fields.forEach((f, i) => {
        if (this.seqs.get(f) !== seq) return; // typed since: its own request answers
        const text = f.value;
        const note = notes[i];
        if (note) this.note(f, note);
        else
          this.show(
            f,
            values[i] ?? null,
            res.unresolved.filter(t => text.includes(t))
          );
      });
    } catch (err) {
      // Why there is no preview (e.g. no run yet) is said once, under the first field.
      fields.forEach((f, i) => {
        if (this.seqs.get(f) !== seq) return;
        if (i === 0) this.fail(f, err);
        else {
          this.lines.get(f)?.remove();
          this.lines.delete(f);
        }
      });
    }
  }

  private async one(field: Field): Promise<void> {
    const seq = ++this.seq;
    this.seqs.set(field, seq);
    if (!hasTemplate(field.value)) {
      this.lines.get(field)?.remove();
      this.lines.delete(field);
      return;
    }
    this.line(field).dataset.state = 'pending';
    try {
      const res = await this.resolve(field.value, this.fieldName(field));
      if (this.seqs.get(field) !== seq) return;
      if (typeof res.notes === 'string') this.note(field, res.notes);
      else this.show(field, res.value, res.unresolved);
    } catch (err) {
      if (this.seqs.get(field) === seq) this.fail(field, err);
    }
  }

  private line(field: Field): HTMLElement {
    let line = this.lines.get(field);
    if (!line || !line.isConnected) {
      line = h('div', { class: 'oc-template-preview', 'aria-live': 'polite' });
      const anchor = field.closest('.oc-map-row, .oc-list-row, .oc-string') ?? field;
      anchor.insertAdjacentElement('afterend', line);
      this.lines.set(field, line);
    }
    return line;
  }

  private show(field: Field, value: JSONValue, unresolved: string[]): void {
    const line = this.line(field);
    line.dataset.state = unresolved.length ? 'unresolved' : 'resolved';
    line.replaceChildren(
      h('span', { class: 'oc-preview-arrow' }, '→ '),
      h('code', { class: 'oc-preview-value' }, shown(value))
    );
    if (unresolved.length)
      line.append(h('span', { class: 'oc-preview-unresolved' }, ` · not in the state: ${unresolved.join(', ')}`));
  }

  /** What the node would do with a field it renders itself, where that is no value (it would fail...). */
  private note(field: Field, text: string): void {
    const line = this.line(field);
    line.dataset.state = 'note';
    line.replaceChildren(h('span', { class: 'oc-preview-note' }, text));
  }

  private fail(field: Field, err: unknown): void {
    const line = this.line(field);
    line.dataset.state = 'error';
    line.replaceChildren(
      h('span', { class: 'oc-muted' }, `no preview: ${err instanceof Error ? err.message : String(err)}`)
    );
  }
}
