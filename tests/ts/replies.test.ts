import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { PendingReplies, ReplyTimeout, timeoutMessage } from '../../src/canvas/replies';

describe('PendingReplies', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves with the reply that arrives in time', async () => {
    const replies = new PendingReplies<string>();
    const answer = replies.wait(1, 30_000, 'the edit');
    vi.advanceTimersByTime(29_999);
    expect(replies.resolve(1, 'ok')).toBe(true);
    await expect(answer).resolves.toBe('ok');
    expect(replies.size).toBe(0);
    // Its timer is gone: nothing fires later.
    vi.advanceTimersByTime(60_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails with a visible message when the kernel does not answer', async () => {
    const replies = new PendingReplies<string>();
    const answer = replies.wait(7, 30_000, 'the edit');
    const settled = expect(answer).rejects.toThrow(
      'The kernel did not answer the edit within 30 s: it may be busy running a cell, stopped or restarted.'
    );
    vi.advanceTimersByTime(30_000);
    await settled;
    await expect(answer).rejects.toBeInstanceOf(ReplyTimeout);
    expect(replies.size).toBe(0);
    // A late answer finds nobody waiting and is ignored.
    expect(replies.resolve(7, 'late')).toBe(false);
  });

  it('keeps requests apart and passes refusals through', async () => {
    const replies = new PendingReplies<number>();
    const a = replies.wait(1, 1000, 'a');
    const b = replies.wait(2, 1000, 'b');
    expect(replies.reject(2, new Error('refused'))).toBe(true);
    expect(replies.resolve(1, 10)).toBe(true);
    await expect(a).resolves.toBe(10);
    await expect(b).rejects.toThrow('refused');
    expect(replies.resolve(3, 0)).toBe(false);
  });

  it('dispose fails every open request and clears the timers', async () => {
    const replies = new PendingReplies<void>();
    const a = replies.wait(1, 1000, 'a');
    const b = replies.wait(2, 1000, 'b');
    replies.dispose(new Error('the canvas was closed'));
    await expect(a).rejects.toThrow('the canvas was closed');
    await expect(b).rejects.toThrow('the canvas was closed');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('timeoutMessage', () => {
  it('says minutes for long deadlines', () => {
    expect(timeoutMessage('the node test', 300_000)).toBe(
      'The kernel did not answer the node test within 5 minutes: it may be busy running a cell, stopped or restarted.'
    );
    expect(timeoutMessage('x', 90_000)).toContain('within 90 s');
  });
});
