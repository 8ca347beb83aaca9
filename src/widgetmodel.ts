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
}

export type CanvasModel = AnyModel<CanvasTraits>;
