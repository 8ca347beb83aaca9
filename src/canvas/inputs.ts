/**
 * Forms for values a person types before or during a run: a run's inputs (from the
 * document's ``inputs_schema``) and the answer to an interrupt (from its schema).
 * Plain DOM, no Lab dependency, so the notebook widget can use it too.
 */

import { h, parseLoose } from './form';
import { JSONObject, JSONValue, Problem, WorkflowDocument } from './types';

type Schema = Record<string, unknown>;

/** The values read from a form, or the problems that keep it from being sent. */
export interface FormResult {
  value: JSONValue;
  errors: Record<string, string>;
}

export interface SchemaForm {
  element: HTMLElement;
  read(): FormResult;
  /** Show problems beside their fields (key "" is the form as a whole). */
  showErrors(errors: Record<string, string>): void;
}

const INPUT_REF = /\{\{\s*inputs\.([A-Za-z_][A-Za-z0-9_]*)/g;
const PATH_REF = /^inputs\.([A-Za-z_][A-Za-z0-9_]*)/;

/**
 * The problems about a run's inputs as form errors ("inputs.count" -> key "count",
 * "inputs" -> the form as a whole), or null when none is about the inputs.
 */
export function inputFieldErrors(problems: readonly Problem[]): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const p of problems) {
    if (!p.field || !(p.field === 'inputs' || p.field.startsWith('inputs.'))) continue;
    const key = p.field === 'inputs' ? '' : p.field.slice('inputs.'.length).split('.')[0];
    out[key] = out[key] ? `${out[key]}; ${p.message}` : p.message;
  }
  return Object.keys(out).length ? out : null;
}

/** The ``inputs.*`` keys a document's node configs and routes refer to, in order of appearance. */
export function referencedInputs(doc: WorkflowDocument): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(INPUT_REF)) found.add(m[1]);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  if (doc.graph.format === 'frozen-ir') {
    for (const node of doc.graph.ir.nodes) visit(node.kind === 'subgraph' ? node.graph : node.config);
    for (const c of doc.graph.ir.conditional_edges) {
      const m = PATH_REF.exec(c.path ?? '');
      if (m) found.add(m[1]);
    }
  }
  return [...found];
}

/** Marks the inputs of a script that declares none: one JSON object, any keys. */
const ANY_KEYS = 'x-orcheo-any-keys';

/**
 * The schema a run's inputs form is built from: the document's ``inputs_schema``,
 * else one text field per ``inputs.*`` key the document refers to; null when the
 * workflow takes no inputs. A LangGraph script that declares none is asked for one
 * JSON object: its keys are the state the script starts from, which only it knows.
 */
export function inputsSchema(doc: WorkflowDocument): Schema | null {
  const declared = doc.inputs_schema as Schema | undefined;
  const props = declared?.properties as Record<string, Schema> | undefined;
  if (declared && props && Object.keys(props).length) return declared;
  if (doc.graph.format !== 'frozen-ir')
    return {
      type: 'object',
      title: 'Inputs (JSON object)',
      description: 'The script declares no inputs_schema: each key starts as a key of its state, e.g. {"count": 3}.',
      [ANY_KEYS]: true
    };
  const keys = referencedInputs(doc);
  if (!keys.length) return null;
  const properties: Record<string, Schema> = {};
  for (const key of keys) properties[key] = { type: 'string', title: key, description: `Used as {{ inputs.${key} }}` };
  return { type: 'object', properties, 'x-orcheo-guessed': true };
}

function typeOf(schema: Schema): string {
  if (Array.isArray(schema.enum)) return 'enum';
  const t = schema.type;
  if (Array.isArray(t)) return String(t.find(x => x !== 'null') ?? 'json');
  return typeof t === 'string' ? t : 'json';
}

interface Field {
  key: string;
  row: HTMLElement;
  error: HTMLElement;
  read(): { value?: JSONValue; error?: string };
}

function field(key: string, schema: Schema, required: boolean, initial: JSONValue | undefined): Field {
  const kind = typeOf(schema);
  const title = String(schema.title ?? key);
  const label = h(
    'label',
    { class: 'oc-label' },
    title,
    required ? h('span', { class: 'oc-required', title: 'required' }, ' *') : ''
  );
  const error = h('div', { class: 'oc-field-error', hidden: '' });
  const start = initial !== undefined ? initial : (schema.default as JSONValue | undefined);
  let control: HTMLElement;
  let read: () => { value?: JSONValue; error?: string };
  if (kind === 'boolean') {
    const box = h('input', { type: 'checkbox', 'data-input': key });
    box.checked = start === true;
    control = box;
    read = () => ({ value: box.checked });
  } else if (kind === 'enum') {
    const options = schema.enum as JSONValue[];
    const select = h('select', { 'data-input': key });
    if (!required) select.append(h('option', { value: '' }, '—'));
    options.forEach((opt, i) => {
      const o = h('option', { value: String(i) }, String(opt));
      if (JSON.stringify(opt) === JSON.stringify(start)) o.selected = true;
      select.append(o);
    });
    control = select;
    read = () => (select.value === '' ? {} : { value: options[Number(select.value)] });
  } else {
    const multiline = kind === 'object' || kind === 'array' || kind === 'json' || schema.format === 'textarea';
    const input = multiline
      ? h('textarea', { rows: '3', 'data-input': key })
      : h('input', { type: 'text', 'data-input': key });
    if (kind === 'number' || kind === 'integer') input.setAttribute('inputmode', 'decimal');
    input.value =
      start === undefined || start === null ? '' : typeof start === 'string' ? start : JSON.stringify(start);
    if (kind === 'object' || kind === 'array') input.placeholder = kind === 'object' ? '{"key": "value"}' : '[1, 2]';
    control = input;
    read = () => {
      const text = input.value;
      if (text.trim() === '') return {};
      if (kind === 'number' || kind === 'integer') {
        const n = Number(text.trim());
        if (!Number.isFinite(n)) return { error: `expected a number, got ${JSON.stringify(text)}` };
        if (kind === 'integer' && !Number.isInteger(n)) return { error: `expected a whole number, got ${text.trim()}` };
        return { value: n };
      }
      if (kind === 'object' || kind === 'array') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return { error: `expected JSON (${kind === 'object' ? 'an object' : 'a list'})` };
        }
        const ok =
          kind === 'object'
            ? parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
            : Array.isArray(parsed);
        return ok
          ? { value: parsed as JSONValue }
          : { error: `expected ${kind === 'object' ? 'an object' : 'a list'}` };
      }
      return { value: kind === 'json' ? parseLoose(text) : text };
    };
  }
  const row = h('div', { class: 'oc-field', 'data-field': key }, label, control);
  if (schema.description) row.append(h('div', { class: 'oc-help' }, String(schema.description)));
  row.append(error);
  return {
    key,
    row,
    error,
    read: () => {
      const got = read();
      if (got.error) return got;
      if (got.value === undefined && required) return { error: 'required' };
      return got;
    }
  };
}

/**
 * A form for ``schema``: an object schema gets one field per property (types,
 * required marks, defaults, ``initial`` values first); any other schema one field
 * named ``answer`` whose value is the whole result.
 */
export function schemaForm(schema: Schema | null | undefined, initial: JSONObject = {}, single = 'answer'): SchemaForm {
  const s = schema ?? {};
  const props = s.properties as Record<string, Schema> | undefined;
  const isObject = typeOf(s) === 'object' && props && Object.keys(props).length > 0;
  // Any keys (a script's inputs): the whole object in one field, empty meaning {}.
  const anyKeys = s[ANY_KEYS] === true;
  if (anyKeys) single = 'inputs';
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const fields: Field[] = isObject
    ? Object.entries(props!).map(([key, sub]) => field(key, sub, required.has(key), initial[key]))
    : [field(single, s, !anyKeys, anyKeys ? initial : initial[single])];
  const whole = h('div', { class: 'oc-field-error', role: 'alert', hidden: '' });
  const element = h('div', { class: 'oc-schema-form orcheo-form' }, whole, ...fields.map(f => f.row));
  const showErrors = (errors: Record<string, string>): void => {
    for (const f of fields) {
      const message = errors[f.key];
      f.error.textContent = message ?? '';
      f.error.hidden = !message;
      f.row.classList.toggle('oc-invalid', !!message);
    }
    const rest = Object.entries(errors)
      .filter(([k]) => !fields.some(f => f.key === k))
      .map(([k, m]) => (k ? `${k}: ${m}` : m));
    whole.textContent = rest.join('; ');
    whole.hidden = !rest.length;
  };
  const read = (): FormResult => {
    const errors: Record<string, string> = {};
    const out: JSONObject = {};
    for (const f of fields) {
      const got = f.read();
      if (got.error) errors[f.key] = got.error;
      else if (got.value !== undefined) out[f.key] = got.value;
    }
    const value: JSONValue = isObject ? out : (out[single] ?? (anyKeys ? {} : null));
    return { value, errors };
  };
  return { element, read, showErrors };
}
