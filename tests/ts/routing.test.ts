// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';

import { routingEditor } from '../../src/canvas/routing';
import { Routing } from '../../src/canvas/types';

function render(current: Parameters<typeof routingEditor>[1], readOnly = false) {
  const emitted: (Routing | null)[] = [];
  const box = routingEditor('check', current, ['fetch', 'check', 'done'], readOnly, e => emitted.push(e));
  document.body.replaceChildren(box);
  return { box, emitted };
}

function change(el: HTMLInputElement | HTMLSelectElement, value: string): void {
  el.value = value;
  el.dispatchEvent(new Event('change'));
}

const EDGE = { source: 'check', path: 'results.check.ok', mapping: { true: 'done' }, default: 'fetch' };

describe('routingEditor', () => {
  it('offers to add routing on the node result when there is none', () => {
    const { box, emitted } = render(undefined);
    expect(box.textContent).toContain('No conditional routing.');
    (box.querySelector('[data-action="add-routing"]') as HTMLButtonElement).click();
    expect(emitted).toEqual([{ path: 'results.check', mapping: {}, default: null }]);
  });

  it('shows the current routes; targets exclude the node itself and include __end__', () => {
    const { box } = render(EDGE);
    expect((box.querySelector('.oc-route-path') as HTMLInputElement).value).toBe('results.check.ok');
    expect((box.querySelector('.oc-route-key') as HTMLInputElement).value).toBe('true');
    const target = box.querySelector('.oc-route-target') as HTMLSelectElement;
    expect([...target.options].map(o => o.value)).toEqual(['fetch', 'done', '__end__']);
    expect(target.value).toBe('done');
    const fallback = box.querySelector('.oc-route-default') as HTMLSelectElement;
    expect([...fallback.options].map(o => o.textContent)).toEqual(['(end the run)', 'fetch', 'done', '__end__']);
    expect(fallback.value).toBe('fetch');
  });

  it('emits one complete routing per change', () => {
    const { box, emitted } = render(EDGE);
    change(box.querySelector('.oc-route-path') as HTMLInputElement, '  results.check.flag ');
    change(box.querySelector('.oc-route-key') as HTMLInputElement, 'yes');
    change(box.querySelector('.oc-route-target') as HTMLSelectElement, '__end__');
    change(box.querySelector('.oc-route-default') as HTMLSelectElement, '');
    expect(emitted).toEqual([
      { path: 'results.check.flag', mapping: { true: 'done' }, default: 'fetch' },
      { path: 'results.check.flag', mapping: { yes: 'done' }, default: 'fetch' },
      { path: 'results.check.flag', mapping: { yes: '__end__' }, default: 'fetch' },
      { path: 'results.check.flag', mapping: { yes: '__end__' }, default: null }
    ]);
  });

  it('leaves incomplete rows out until they have a value and a target', () => {
    const { box, emitted } = render(EDGE);
    (box.querySelector('[data-action="add-route"]') as HTMLButtonElement).click();
    const keys = box.querySelectorAll<HTMLInputElement>('.oc-route-key');
    expect(keys).toHaveLength(2);
    expect(document.activeElement).toBe(keys[1]);
    change(keys[1], 'false');
    const targets = box.querySelectorAll<HTMLSelectElement>('.oc-route-target');
    change(targets[1], 'fetch');
    expect(emitted).toEqual([
      { path: 'results.check.ok', mapping: { true: 'done' }, default: 'fetch' },
      { path: 'results.check.ok', mapping: { true: 'done', false: 'fetch' }, default: 'fetch' }
    ]);
  });

  it('removes a route and the whole routing', () => {
    const { box, emitted } = render(EDGE);
    (box.querySelector('.oc-route-row .oc-remove') as HTMLButtonElement).click();
    expect(box.querySelectorAll('.oc-route-row')).toHaveLength(0);
    (box.querySelector('[data-action="remove-routing"]') as HTMLButtonElement).click();
    expect(emitted).toEqual([{ path: 'results.check.ok', mapping: {}, default: 'fetch' }, null]);
  });

  it('is read-only when the document cannot be edited', () => {
    const { box } = render(EDGE, true);
    expect((box.querySelector('.oc-route-path') as HTMLInputElement).disabled).toBe(true);
    expect((box.querySelector('.oc-route-target') as HTMLSelectElement).disabled).toBe(true);
    expect(box.querySelector('button')).toBeNull();
  });
});
