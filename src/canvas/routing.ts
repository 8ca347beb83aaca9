/**
 * The conditional-edge editor: a state path, mapping rows (value -> target) and a
 * default target. Every change yields one ``set_conditional_edge`` diff.
 */

import { h } from './form';
import { END, ConditionalEdge, Routing } from './types';

export function routingEditor(
  source: string,
  current: ConditionalEdge | undefined,
  targets: string[],
  readOnly: boolean,
  onChange: (edge: Routing | null) => void
): HTMLElement {
  const box = h('div', { class: 'oc-routing', 'data-routing': source });
  if (!current) {
    box.append(h('div', { class: 'oc-muted' }, 'No conditional routing.'));
    if (!readOnly) {
      const add = h(
        'button',
        { type: 'button', class: 'oc-add', 'data-action': 'add-routing' },
        '+ Add conditional routing'
      );
      add.addEventListener('click', () => onChange({ path: `results.${source}`, mapping: {}, default: null }));
      box.append(add);
    }
    return box;
  }
  const mapping: [string, string][] = Object.entries(current.mapping ?? {});
  let path = current.path;
  let fallback: string | null = current.default ?? null;
  const emit = (): void => {
    const out: Record<string, string> = {};
    for (const [k, v] of mapping) if (k !== '' && v) out[k] = v;
    onChange({ path, mapping: out, default: fallback });
  };
  const choices = [...targets.filter(t => t !== source), END];

  const targetSelect = (
    value: string | null,
    allowNone: boolean,
    set: (v: string | null) => void
  ): HTMLSelectElement => {
    const select = h('select', { class: 'oc-route-target' });
    if (allowNone) select.append(h('option', { value: '' }, '(end the run)'));
    for (const t of choices) {
      const o = h('option', { value: t }, t);
      if (t === value) o.selected = true;
      select.append(o);
    }
    if (!allowNone && !value) select.selectedIndex = -1;
    select.disabled = readOnly;
    select.addEventListener('change', () => set(select.value || null));
    return select;
  };

  const pathInput = h('input', { type: 'text', class: 'oc-route-path', placeholder: 'results.check.ok' });
  pathInput.value = path;
  pathInput.disabled = readOnly;
  pathInput.addEventListener('change', () => {
    path = pathInput.value.trim();
    emit();
  });
  box.append(
    h('label', { class: 'oc-label' }, 'Route on state path'),
    pathInput,
    h('div', { class: 'oc-help' }, 'Dotted path in state; true/false become "true"/"false", None becomes "null".')
  );

  const rows = h('div', { class: 'oc-routes' });
  const draw = (): void => {
    rows.replaceChildren();
    mapping.forEach((entry, i) => {
      const key = h('input', { type: 'text', class: 'oc-route-key', placeholder: 'value' });
      key.value = entry[0];
      key.disabled = readOnly;
      key.addEventListener('change', () => {
        entry[0] = key.value;
        emit();
      });
      const target = targetSelect(entry[1], false, v => {
        entry[1] = v ?? '';
        emit();
      });
      const row = h('div', { class: 'oc-route-row' }, key, h('span', { class: 'oc-arrow' }, '→'), target);
      if (!readOnly) {
        const del = h('button', { type: 'button', class: 'oc-remove', title: 'Remove route' }, '×');
        del.addEventListener('click', () => {
          mapping.splice(i, 1);
          emit();
          draw();
        });
        row.append(del);
      }
      rows.append(row);
    });
  };
  draw();
  box.append(h('label', { class: 'oc-label' }, 'Routes'), rows);
  const defaultSelect = targetSelect(fallback, true, v => {
    fallback = v;
    emit();
  });
  defaultSelect.classList.replace('oc-route-target', 'oc-route-default');
  if (!readOnly) {
    const add = h('button', { type: 'button', class: 'oc-add', 'data-action': 'add-route' }, '+ Add route');
    add.addEventListener('click', () => {
      mapping.push(['', '']);
      draw();
      (rows.querySelector('.oc-route-row:last-child .oc-route-key') as HTMLInputElement | null)?.focus();
    });
    box.append(add);
  }
  box.append(h('label', { class: 'oc-label' }, 'Default'), defaultSelect);
  if (!readOnly) {
    const remove = h(
      'button',
      { type: 'button', class: 'oc-danger', 'data-action': 'remove-routing' },
      'Remove routing'
    );
    remove.addEventListener('click', () => onChange(null));
    box.append(remove);
  }
  return box;
}
