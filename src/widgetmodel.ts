/**
 * The synced traits of ``orcheo_jupyter.Canvas`` (orcheo_jupyter/widget/canvas.py),
 * so the widget code reads them typed through anywidget's model interface.
 */

import type { AnyModel } from '@anywidget/types';

import { Problem, WorkflowDocument } from './canvas/types';

export interface CanvasTraits {
  document: WorkflowDocument;
  picture: string;
  bundle_version: string;
  problems: Problem[];
  credentials: string[];
  read_only: boolean;
  height: string;
  /** Seconds an edit or a debug question waits for the kernel. */
  reply_timeout: number;
  /** Seconds a node test waits for the kernel. */
  node_test_timeout: number;
}

export type CanvasModel = AnyModel<CanvasTraits>;

const DEFAULT_DEADLINES_MS = { reply_timeout: 30_000, node_test_timeout: 300_000 };

/**
 * How long a request may wait for the kernel before the canvas says it did not answer:
 * ``Canvas(reply_timeout=...)`` (edits, debug questions, the code editor) and
 * ``node_test_timeout`` (a node test runs the node in the kernel), in seconds.
 */
export function deadlineMs(model: CanvasModel, trait: 'reply_timeout' | 'node_test_timeout'): number {
  const seconds = Number(model.get(trait));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_DEADLINES_MS[trait];
}
