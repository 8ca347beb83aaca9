/**
 * A property form generated from a node type's config JSON Schema, so a new node
 * type never needs UI code. Strings get {{template}} help and a [[secret]] picker;
 * numbers, booleans, enums, nested objects, maps and lists get their own editors;
 * anything else falls back to a JSON editor.
 */

import { JSONObject, JSONValue } from './types';
import { iconElement } from './icons';

export interface FormContext {
  /** Root schema (holds $defs for $ref). */
  root: JSONObject;
  readOnly: boolean;
  /** Credential names for the [[secret]] picker. */
  credentials: () => Promise<string[]>;
  /** Template suggestions such as {{ inputs }} or {{ results.other }}. */
  suggestions: string[];
}

/** Validation messages per top-level config key ("operation" -> ["Input should be ..."]). */
export type FieldErrors = Record<string, string[]>;

type Schema = JSONObject;
type Change = (value: JSONValue | undefined) => void;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') el.className = value;
    else el.setAttribute(key, value);
  }
  for (const child of children) el.append(child);
  return el;
}

function resolve(schema: Schema, root: Schema): Schema {
  let current = schema;
  for (let i = 0; i < 16 && typeof current.$ref === 'string'; i++) {
    const path = (current.$ref as string).replace(/^#\//, '').split('/');
    let target: JSONValue = root;
    for (const part of path) {
      target = target && typeof target === 'object' && !Array.isArray(target) ? (target as JSONObject)[part] : null;
    }
    if (!target || typeof target !== 'object' || Array.isArray(target)) break;
    const { $ref: _ref, ...rest } = current;
    void _ref;
    current = { ...(target as JSONObject), ...rest };
  }
  return current;
}

/** ``X | None`` (anyOf with a null member) -> X. */
function unwrapOptional(schema: Schema, root: Schema): Schema {
  const s = resolve(schema, root);
  const alts = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (Array.isArray(alts)) {
    const nonNull = alts.filter(a => resolve(a, root).type !== 'null');
    if (nonNull.length === 1) {
      const { anyOf: _a, oneOf: _o, ...rest } = s;
      void _a;
      void _o;
      return { ...resolve(nonNull[0], root), ...rest };
    }
  }
  return s;
}

type Kind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'object' | 'map' | 'array' | 'json';

function kindOf(schema: Schema): Kind {
  if (Array.isArray(schema.enum)) return 'enum';
  const t = schema.type;
  if (t === 'string') return 'string';
  if (t === 'number') return 'number';
  if (t === 'integer') return 'integer';
  if (t === 'boolean') return 'boolean';
  if (t === 'array') return 'array';
  if (t === 'object') {
    return schema.properties && Object.keys(schema.properties as object).length ? 'object' : 'map';
  }
  return 'json';
}

function isTemplateText(v: unknown): boolean {
  return typeof v === 'string' && (v.includes('{{') || v.includes('[['));
}

/** Text that means a number becomes one; anything else (e.g. a template) stays text. */
function parseNumber(text: string, integer: boolean): JSONValue | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const n = Number(t);
  if (Number.isFinite(n) && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) {
    return integer && Number.isInteger(n) ? n : n;
  }
  return text;
}

/** Free-form values: JSON when it parses (numbers, booleans, objects), else the text. */
export function parseLoose(text: string): JSONValue {
  const t = text.trim();
  if (t === '') return '';
  if (/^(-?\d|\{|\[|true$|false$|null$|")/.test(t)) {
    try {
      return JSON.parse(t) as JSONValue;
    } catch {
      return text;
    }
  }
  return text;
}

export function showLoose(value: JSONValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') {
    // A string that would parse as JSON is shown quoted, so it round-trips as a string.
    return parseLoose(value) === value ? value : JSON.stringify(value);
  }
  return JSON.stringify(value);
}

function secretPicker(ctx: FormContext, onPick: (name: string) => void): HTMLElement {
  const wrap = h('span', { class: 'oc-secret' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'oc-secret-button',
      title: 'Insert a [[secret]] reference',
      'aria-label': 'Insert a [[secret]] reference'
    },
    iconElement('key')
  );
  const menu = h('div', { class: 'oc-secret-menu', hidden: '' });
  button.addEventListener('click', async () => {
    if (!menu.hidden) {
      menu.hidden = true;
      return;
    }
    menu.replaceChildren(h('div', { class: 'oc-muted' }, 'loading…'));
    menu.hidden = false;
    let names: string[];
    try {
      names = await ctx.credentials();
    } catch {
      names = [];
    }
    menu.replaceChildren();
    if (!names.length) {
      menu.append(h('div', { class: 'oc-muted' }, 'No credentials stored. Type [[name]] to reference one.'));
    }
    for (const name of names) {
      const item = h('button', { type: 'button', class: 'oc-secret-item', 'data-secret': name }, name);
      item.addEventListener('click', () => {
        menu.hidden = true;
        onPick(name);
      });
      menu.append(item);
    }
  });
  wrap.append(button, menu);
  return wrap;
}

let datalistSeq = 0;

function stringInput(schema: Schema, value: JSONValue | undefined, ctx: FormContext, change: Change): HTMLElement {
  const multiline =
    schema.format === 'textarea' ||
    schema.format === 'multiline' ||
    (typeof value === 'string' && value.includes('\n'));
  const input = multiline ? h('textarea', { rows: '4' }) : h('input', { type: 'text' });
  input.value = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  input.disabled = ctx.readOnly;
  if (schema.default !== undefined && typeof schema.default === 'string') input.placeholder = schema.default;
  input.addEventListener('change', () => change(input.value === '' ? undefined : input.value));
  const row = h('div', { class: 'oc-string' }, input);
  if (!multiline && ctx.suggestions.length) {
    const id = `oc-suggest-${++datalistSeq}`;
    const list = h('datalist', { id });
    for (const s of ctx.suggestions) list.append(h('option', { value: s }));
    input.setAttribute('list', id);
    row.append(list);
  }
  if (!ctx.readOnly) {
    row.append(
      secretPicker(ctx, name => {
        input.value = `[[${name}]]`;
        change(input.value);
      })
    );
  }
  return row;
}

function numberInput(
  schema: Schema,
  value: JSONValue | undefined,
  ctx: FormContext,
  change: Change,
  integer: boolean
): HTMLElement {
  const input = h('input', { type: 'text', inputmode: 'decimal', class: 'oc-number' });
  input.value = value === undefined || value === null ? '' : String(value);
  if (schema.default !== undefined && schema.default !== null) input.placeholder = String(schema.default);
  input.disabled = ctx.readOnly;
  input.addEventListener('change', () => change(parseNumber(input.value, integer)));
  return input;
}

function booleanInput(schema: Schema, value: JSONValue | undefined, ctx: FormContext, change: Change): HTMLElement {
  const input = h('input', { type: 'checkbox' });
  input.checked = value === undefined ? schema.default === true : value === true;
  input.disabled = ctx.readOnly;
  input.addEventListener('change', () => change(input.checked));
  return input;
}

function enumInput(
  schema: Schema,
  value: JSONValue | undefined,
  ctx: FormContext,
  change: Change,
  required: boolean
): HTMLElement {
  const select = h('select');
  const options = schema.enum as JSONValue[];
  if (!required || value === undefined)
    select.append(
      h('option', { value: '' }, schema.default !== undefined ? `(default: ${String(schema.default)})` : '—')
    );
  options.forEach((opt, i) => {
    const o = h('option', { value: String(i) }, String(opt));
    if (JSON.stringify(opt) === JSON.stringify(value)) o.selected = true;
    select.append(o);
  });
  // A stored value the schema does not allow is shown as it is, never hidden behind the default.
  const known = value === undefined || options.some(opt => JSON.stringify(opt) === JSON.stringify(value));
  if (!known) {
    const shown = typeof value === 'string' ? value : JSON.stringify(value);
    const o = h('option', { value: 'invalid', class: 'oc-invalid-option' }, `${shown} (not allowed)`);
    o.selected = true;
    select.append(o);
  }
  select.disabled = ctx.readOnly;
  select.addEventListener('change', () => {
    if (select.value === 'invalid') return;
    change(select.value === '' ? undefined : options[Number(select.value)]);
  });
  return select;
}

function jsonInput(value: JSONValue | undefined, ctx: FormContext, change: Change): HTMLElement {
  const area = h('textarea', { rows: '3', class: 'oc-json' });
  area.value = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  area.disabled = ctx.readOnly;
  area.addEventListener('change', () => change(area.value.trim() === '' ? undefined : parseLoose(area.value)));
  return area;
}

function mapInput(schema: Schema, value: JSONValue | undefined, ctx: FormContext, change: Change): HTMLElement {
  const entries: [string, JSONValue][] =
    value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
  const itemSchema =
    schema.additionalProperties && typeof schema.additionalProperties === 'object'
      ? unwrapOptional(schema.additionalProperties as Schema, ctx.root)
      : {};
  const typedString = kindOf(itemSchema) === 'string';
  const box = h('div', { class: 'oc-map' });
  const emit = (): void => {
    const out: JSONObject = {};
    for (const [k, v] of entries) if (k !== '') out[k] = v;
    change(out);
  };
  const draw = (): void => {
    box.replaceChildren();
    entries.forEach((entry, i) => {
      const key = h('input', { type: 'text', class: 'oc-map-key', placeholder: 'name' });
      key.value = entry[0];
      const val = h('input', { type: 'text', class: 'oc-map-value', placeholder: 'value or {{ x }}' });
      val.value = typeof entry[1] === 'string' ? (typedString ? entry[1] : showLoose(entry[1])) : showLoose(entry[1]);
      key.disabled = val.disabled = ctx.readOnly;
      key.addEventListener('change', () => {
        entries[i][0] = key.value;
        emit();
      });
      val.addEventListener('change', () => {
        entries[i][1] = typedString ? val.value : parseLoose(val.value);
        emit();
      });
      const row = h('div', { class: 'oc-map-row' }, key, val);
      if (!ctx.readOnly) {
        const del = h('button', { type: 'button', class: 'oc-remove', title: 'Remove' }, '×');
        del.addEventListener('click', () => {
          entries.splice(i, 1);
          emit();
          draw();
        });
        row.append(del);
      }
      box.append(row);
    });
    if (!ctx.readOnly) {
      const add = h('button', { type: 'button', class: 'oc-add' }, '+ Add entry');
      add.addEventListener('click', () => {
        entries.push(['', '']);
        draw();
        (box.querySelector('.oc-map-row:last-of-type .oc-map-key') as HTMLInputElement | null)?.focus();
      });
      box.append(add);
    }
  };
  draw();
  return box;
}

function arrayInput(schema: Schema, value: JSONValue | undefined, ctx: FormContext, change: Change): HTMLElement {
  const items: JSONValue[] = Array.isArray(value) ? [...value] : [];
  const itemSchema =
    schema.items && typeof schema.items === 'object' ? unwrapOptional(schema.items as Schema, ctx.root) : {};
  const box = h('div', { class: 'oc-list' });
  const draw = (): void => {
    box.replaceChildren();
    items.forEach((item, i) => {
      const editor = fieldEditor(
        itemSchema,
        item,
        ctx,
        v => {
          items[i] = v === undefined ? null : v;
          change([...items]);
        },
        true
      );
      const row = h('div', { class: 'oc-list-row' }, editor);
      if (!ctx.readOnly) {
        const del = h('button', { type: 'button', class: 'oc-remove', title: 'Remove' }, '×');
        del.addEventListener('click', () => {
          items.splice(i, 1);
          change([...items]);
          draw();
        });
        row.append(del);
      }
      box.append(row);
    });
    if (!ctx.readOnly) {
      const add = h('button', { type: 'button', class: 'oc-add' }, '+ Add item');
      add.addEventListener('click', () => {
        const k = kindOf(itemSchema);
        items.push(
          k === 'object' || k === 'map' ? {} : k === 'number' || k === 'integer' ? 0 : k === 'boolean' ? false : ''
        );
        change([...items]);
        draw();
      });
      box.append(add);
    }
  };
  draw();
  return box;
}

function objectInput(schema: Schema, value: JSONValue | undefined, ctx: FormContext, change: Change): HTMLElement {
  const current: JSONObject = value && typeof value === 'object' && !Array.isArray(value) ? { ...value } : {};
  const box = h('div', { class: 'oc-object' });
  box.append(
    objectFields(schema, current, ctx, next => {
      change(next);
    })
  );
  return box;
}

function fieldEditor(
  schema: Schema,
  value: JSONValue | undefined,
  ctx: FormContext,
  change: Change,
  required: boolean
): HTMLElement {
  const s = unwrapOptional(schema, ctx.root);
  // A template where a number/bool/object is expected is only known at run time: edit it as text.
  const kind = isTemplateText(value) ? 'string' : kindOf(s);
  switch (kind) {
    case 'string':
      return stringInput(s, value, ctx, change);
    case 'number':
    case 'integer':
      return numberInput(s, value, ctx, change, kind === 'integer');
    case 'boolean':
      return booleanInput(s, value, ctx, change);
    case 'enum':
      return enumInput(s, value, ctx, change, required);
    case 'object':
      return objectInput(s, value, ctx, change);
    case 'map':
      return mapInput(s, value, ctx, change);
    case 'array':
      return arrayInput(s, value, ctx, change);
    default:
      return jsonInput(value, ctx, change);
  }
}

/** One labelled field per schema property; ``onChange`` gets the whole new object. */
export function objectFields(
  schema: Schema,
  value: JSONObject,
  ctx: FormContext,
  onChange: (next: JSONObject) => void,
  errors: FieldErrors = {}
): HTMLElement {
  const s = resolve(schema, ctx.root);
  const props = (s.properties ?? {}) as Record<string, Schema>;
  const required = new Set((s.required ?? []) as string[]);
  const current: JSONObject = { ...value };
  const box = h('div', { class: 'oc-fields' });
  const known = new Set(Object.keys(props));
  for (const [key, propSchema] of Object.entries(props)) {
    const p = unwrapOptional(propSchema, ctx.root);
    const title = String(p.title ?? key);
    const label = h(
      'label',
      { class: 'oc-label' },
      title,
      required.has(key) ? h('span', { class: 'oc-required', title: 'required' }, ' *') : ''
    );
    const editor = fieldEditor(
      propSchema,
      current[key],
      ctx,
      v => {
        if (v === undefined) delete current[key];
        else current[key] = v;
        onChange({ ...current });
      },
      required.has(key)
    );
    const field = h('div', { class: 'oc-field', 'data-field': key }, label, editor);
    markInvalid(field, errors[key]);
    if (p.description) field.append(h('div', { class: 'oc-help' }, String(p.description)));
    const k = kindOf(p);
    if (k === 'string' || k === 'map' || isTemplateText(current[key])) {
      field.append(
        h(
          'div',
          { class: 'oc-help oc-template-help' },
          'Use {{ inputs.x }} or {{ results.node.key }} to insert state; [[name]] for a secret.'
        )
      );
    }
    box.append(field);
  }
  // Keys the schema does not know (e.g. from an older node version) stay visible and editable as JSON.
  for (const key of Object.keys(current)) {
    if (known.has(key)) continue;
    const editor = jsonInput(current[key], ctx, v => {
      if (v === undefined) delete current[key];
      else current[key] = v;
      onChange({ ...current });
    });
    const field = h(
      'div',
      { class: 'oc-field oc-unknown', 'data-field': key },
      h('label', { class: 'oc-label' }, `${key} (not in schema)`),
      editor
    );
    markInvalid(field, errors[key]);
    box.append(field);
  }
  // Problems of the config as a whole (a rule across fields) show above the fields.
  if (errors['']?.length) box.prepend(errorNote(errors[''].join('; ')));
  return box;
}

/** The reason a field (or the whole config) breaks its node type's rules. */
function errorNote(text: string): HTMLElement {
  return h('div', { class: 'oc-field-error', role: 'alert' }, text);
}

/** A field whose value breaks its node type's rules: red, with the reason beside it. */
function markInvalid(field: HTMLElement, messages: string[] | undefined): void {
  if (!messages?.length) return;
  field.classList.add('oc-invalid');
  field.append(errorNote(messages.join('; ')));
}

/**
 * The errors of a drawn form (``configForm``'s element) set anew in place, for the
 * form the user is typing in (it is not redrawn under the cursor): a field fixed
 * loses its error, one broken gains it, just before the field's help as when drawn.
 */
export function remarkInvalid(form: HTMLElement, errors: FieldErrors): void {
  for (const field of Array.from(form.querySelectorAll<HTMLElement>(':scope > .oc-field'))) {
    const messages = errors[field.dataset.field ?? ''];
    const old = field.querySelector<HTMLElement>(':scope > .oc-field-error');
    const text = messages?.join('; ') ?? '';
    if ((old?.textContent ?? '') === text) continue;
    old?.remove();
    field.classList.toggle('oc-invalid', !!text);
    if (!text) continue;
    const error = errorNote(text);
    const help = field.querySelector(':scope > .oc-help');
    if (help) field.insertBefore(error, help);
    else field.append(error);
  }
  const whole = form.querySelector<HTMLElement>(':scope > .oc-field-error');
  const text = errors['']?.join('; ') ?? '';
  if ((whole?.textContent ?? '') === text) return;
  whole?.remove();
  if (text) form.prepend(errorNote(text));
}

/** The form for a node's whole config. */
export function configForm(
  schema: Schema,
  config: JSONObject,
  ctx: FormContext,
  onChange: (next: JSONObject) => void,
  errors: FieldErrors = {}
): HTMLElement {
  const s = resolve(schema, ctx.root);
  if (!s.properties || !Object.keys(s.properties as object).length) {
    if (!Object.keys(config).length) return h('div', { class: 'oc-muted' }, 'This node type has no settings.');
  }
  return objectFields(s, config, ctx, onChange, errors);
}
