/** Undo/redo stacks of diff batches (each user action is one entry). */

import { Diff } from './types';

export interface Step {
  label: string;
  redo: Diff[];
  undo: Diff[];
}

export class History {
  private done: Step[] = [];
  private undone: Step[] = [];

  constructor(private readonly limit = 200) {}

  push(step: Step): void {
    this.done.push(step);
    if (this.done.length > this.limit) this.done.shift();
    this.undone = [];
  }

  takeUndo(): Step | undefined {
    const step = this.done.pop();
    if (step) this.undone.push(step);
    return step;
  }

  takeRedo(): Step | undefined {
    const step = this.undone.pop();
    if (step) this.done.push(step);
    return step;
  }

  get canUndo(): boolean {
    return this.done.length > 0;
  }

  get canRedo(): boolean {
    return this.undone.length > 0;
  }

  clear(): void {
    this.done = [];
    this.undone = [];
  }
}
