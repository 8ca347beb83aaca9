/** Which stored workflow a ``*.orcheo.json`` file is (no canvas code: the plugin loads it eagerly). */

import { WorkflowDocument } from '../canvas/types';

/** A stable workflow id for a file: its document id, else one derived from the path. */
export function workflowIdFor(doc: WorkflowDocument, path: string): string {
  if (doc.id) return doc.id;
  const base = path
    .replace(/\.orcheo\.json$/, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return (base || 'workflow').slice(0, 120);
}
