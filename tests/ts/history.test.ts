import { describe, expect, it } from 'vitest';

import { History, Step } from '../../src/canvas/history';

const step = (label: string): Step => ({ label, redo: [{ op: 'remove_node', id: label }], undo: [] });

describe('History', () => {
  it('undoes newest first and redoes in the original order', () => {
    const h = new History();
    expect(h.canUndo).toBe(false);
    expect(h.takeUndo()).toBeUndefined();
    h.push(step('a'));
    h.push(step('b'));
    expect(h.takeUndo()?.label).toBe('b');
    expect(h.takeUndo()?.label).toBe('a');
    expect(h.canUndo).toBe(false);
    expect(h.canRedo).toBe(true);
    expect(h.takeRedo()?.label).toBe('a');
    expect(h.takeRedo()?.label).toBe('b');
    expect(h.takeRedo()).toBeUndefined();
    expect(h.takeUndo()?.label).toBe('b');
  });

  it('forgets the redo stack when a new action is pushed', () => {
    const h = new History();
    h.push(step('a'));
    h.takeUndo();
    h.push(step('c'));
    expect(h.canRedo).toBe(false);
    expect(h.takeUndo()?.label).toBe('c');
    expect(h.takeUndo()).toBeUndefined();
  });

  it('keeps at most `limit` steps, dropping the oldest', () => {
    const h = new History(2);
    for (const label of ['a', 'b', 'c']) h.push(step(label));
    expect([h.takeUndo()?.label, h.takeUndo()?.label, h.takeUndo()]).toEqual(['c', 'b', undefined]);
  });

  it('clear empties both stacks', () => {
    const h = new History();
    h.push(step('a'));
    h.push(step('b'));
    h.takeUndo();
    h.clear();
    expect(h.canUndo).toBe(false);
    expect(h.canRedo).toBe(false);
  });
});
