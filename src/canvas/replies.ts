/**
 * Requests to the kernel that wait for a reply, each with a deadline.
 *
 * A kernel that is busy (a long cell), stopped or restarted never answers a comm
 * message; without a deadline the canvas would wait forever with no sign of why.
 * When the deadline passes the request fails with an error the canvas shows.
 */

export class ReplyTimeout extends Error {}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class PendingReplies<T> {
  private readonly waiting = new Map<number, Waiter<T>>();

  /** ``what`` names the request in the timeout message ("the edit", "the node test"). */
  wait(seq: number, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new ReplyTimeout(timeoutMessage(what, timeoutMs)));
      }, timeoutMs);
      this.waiting.set(seq, { resolve, reject, timer });
    });
  }

  /** Settle request ``seq``; false when nothing waits for it (answered too late, or not ours). */
  resolve(seq: number, value: T): boolean {
    const waiter = this.take(seq);
    waiter?.resolve(value);
    return waiter !== undefined;
  }

  reject(seq: number, error: Error): boolean {
    const waiter = this.take(seq);
    waiter?.reject(error);
    return waiter !== undefined;
  }

  /** Fail every open request (the view is going away) and stop their timers. */
  dispose(error: Error): void {
    for (const seq of [...this.waiting.keys()]) this.reject(seq, error);
  }

  get size(): number {
    return this.waiting.size;
  }

  private take(seq: number): Waiter<T> | undefined {
    const waiter = this.waiting.get(seq);
    if (!waiter) return undefined;
    clearTimeout(waiter.timer);
    this.waiting.delete(seq);
    return waiter;
  }
}

export function timeoutMessage(what: string, timeoutMs: number): string {
  const seconds = Math.round(timeoutMs / 1000);
  const span = seconds >= 120 && seconds % 60 === 0 ? `${seconds / 60} minutes` : `${seconds} s`;
  return `The kernel did not answer ${what} within ${span}: it may be busy running a cell, stopped or restarted.`;
}
