/**
 * Which ``*.orcheo.json`` file holds a stored workflow: "open" from the sidebar
 * opens that file (an open tab, the file last seen holding it, or one found by
 * looking through the server's files) and writes a new file only when none exists.
 */

import { PathExt } from '@jupyterlab/coreutils';
import { Contents } from '@jupyterlab/services';
import { dumps } from '../canvas/canonical';
import { WorkflowDocument } from '../canvas/types';
import { OrcheoApi, WorkflowSummary } from './api';
import { workflowIdFor } from './identity';

const SEEN = 'orcheo-jupyter:workflow-files';
/** How much of the file tree one search may read (directories, candidate files). */
const MAX_DIRS = 200;
const MAX_FILES = 400;

function seen(): Record<string, string> {
  try {
    const data = JSON.parse(window.localStorage.getItem(SEEN) ?? '{}') as unknown;
    return data && typeof data === 'object' ? (data as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** Remember that ``path`` holds workflow ``id`` (documents call this when they open or run). */
export function rememberFile(id: string, path: string): void {
  try {
    window.localStorage.setItem(SEEN, JSON.stringify({ ...seen(), [id]: path }));
  } catch {
    /* storage disabled: the search below still finds it */
  }
}

async function holds(contents: Contents.IManager, path: string, id: string): Promise<boolean> {
  try {
    const model = await contents.get(path, { content: true, type: 'file', format: 'text' });
    const doc = JSON.parse(String(model.content)) as WorkflowDocument;
    return workflowIdFor(doc, path) === id;
  } catch {
    return false;
  }
}

/** The path of a file holding workflow ``id``: breadth first from ``start``, then from the root. */
export async function findWorkflowFile(contents: Contents.IManager, id: string, start: string): Promise<string | null> {
  const known = seen()[id];
  if (known && (await holds(contents, known, id))) return known;
  const queue = [...new Set([start, ''])];
  const visited = new Set<string>();
  let files = 0;
  while (queue.length && visited.size < MAX_DIRS && files < MAX_FILES) {
    const dir = queue.shift()!;
    if (visited.has(dir)) continue;
    visited.add(dir);
    let listing: Contents.IModel;
    try {
      listing = await contents.get(dir, { content: true });
    } catch {
      continue;
    }
    const items = (listing.content ?? []) as Contents.IModel[];
    // A file named after the workflow is the likeliest: look at it first.
    const candidates = items
      .filter(i => i.type === 'file' && i.name.endsWith('.orcheo.json'))
      .sort((a, b) => Number(b.name.startsWith(id)) - Number(a.name.startsWith(id)));
    for (const item of candidates) {
      if (++files > MAX_FILES) break;
      if (await holds(contents, item.path, id)) {
        rememberFile(id, item.path);
        return item.path;
      }
    }
    for (const item of items) {
      if (item.type === 'directory' && !item.name.startsWith('.') && item.name !== 'node_modules')
        queue.push(item.path);
    }
  }
  return null;
}

/** A file name for a workflow that has none yet: its name, made safe, never overwriting. */
async function freshPath(contents: Contents.IManager, dir: string, name: string): Promise<string> {
  const stem =
    name
      .replace(/[^A-Za-z0-9._ -]+/g, '-')
      .trim()
      .replace(/\s+/g, '_') || 'workflow';
  for (let i = 0; i < 1000; i++) {
    const path = PathExt.join(dir, `${stem}${i ? `-${i}` : ''}.orcheo.json`);
    try {
      await contents.get(path, { content: false });
    } catch {
      return path;
    }
  }
  throw new Error(`no free file name for ${name}`);
}

/** The file to open for a stored workflow: the one holding it, else a new file named after it. */
export async function workflowFile(
  api: OrcheoApi,
  contents: Contents.IManager,
  w: WorkflowSummary,
  dir: string
): Promise<string> {
  const found = await findWorkflowFile(contents, w.id, dir);
  if (found) return found;
  const detail = await api.workflow(w.id);
  const path = await freshPath(contents, dir, detail.name || w.name);
  await contents.save(path, { type: 'file', format: 'text', content: dumps({ ...detail.document, id: w.id }) });
  rememberFile(w.id, path);
  return path;
}
