/**
 * Which stored version a canvas file's edits were made from. Run stores the
 * canvas as a new version of its workflow and names that version
 * (``?base_version=N``), so a workflow someone else stored since (another tab,
 * another user, the CLI or REST) is refused with a 409 instead of being silently
 * replaced. Pure logic (no Lab imports), unit tested in tests/ts.
 */

import { WorkflowDocument } from '../canvas/types';

/** What a 409 ``version_conflict`` says: the edit's base version and the server's latest. */
export interface VersionConflict {
  base: number;
  latest: number;
}

/** The conflict an API error reports, or null when it is another error. */
export function versionConflict(err: unknown): VersionConflict | null {
  const e = err as { status?: unknown; code?: unknown; details?: unknown } | null;
  if (!e || e.status !== 409 || e.code !== 'version_conflict') return null;
  const d = (e.details ?? {}) as { base_version?: unknown; latest?: unknown };
  if (typeof d.base_version !== 'number' || typeof d.latest !== 'number') return null;
  return { base: d.base_version, latest: d.latest };
}

/** ``value`` without what the models fill in as defaults (null, "", [], {}), keys sorted. */
function essential(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(essential);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = essential((value as Record<string, unknown>)[key]);
      const empty =
        v === null ||
        v === undefined ||
        v === '' ||
        (Array.isArray(v) && !v.length) ||
        (typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.keys(v).length);
      if (!empty) out[key] = v;
    }
    return out;
  }
  return value;
}

/**
 * Whether two documents say the same, the workflow id aside: the server stores a
 * document with every default filled in, the canvas writes what it was given.
 */
export function sameDocument(a: WorkflowDocument, b: WorkflowDocument): boolean {
  return JSON.stringify(essential({ ...a, id: null })) === JSON.stringify(essential({ ...b, id: null }));
}

/** How a file's base version was found (what the canvas tells the user on opening). */
export type BaseSource =
  /** never stored: Run creates the workflow (``base_version=0``) */
  | 'new'
  /** the file holds the latest version */
  | 'latest'
  /** the file holds an earlier version: someone stored newer ones since */
  | 'older'
  /** the file holds unstored edits on the version this browser last stored or loaded into it */
  | 'remembered'
  /** unstored edits made before this tab opened, on a version nobody can tell: the latest */
  | 'assumed';

export interface Base {
  version: number;
  source: BaseSource;
}

/** How many versions before the latest are compared with the file. */
export const LOOK_BACK = 5;

/**
 * The version ``doc`` (a file's document) was made from. ``latest`` is the stored
 * workflow's latest version (null: never stored); ``remembered`` the version this
 * browser last stored from or loaded into the file; ``fetchVersion`` reads a stored
 * version's document (null or an error: not readable, skipped).
 */
export async function findBase(
  doc: WorkflowDocument,
  latest: { version: number; document: WorkflowDocument } | null,
  remembered: number | null,
  fetchVersion: (version: number) => Promise<WorkflowDocument | null>,
  lookBack = LOOK_BACK
): Promise<Base> {
  if (!latest) return { version: 0, source: 'new' };
  if (sameDocument(doc, latest.document)) return { version: latest.version, source: 'latest' };
  for (let v = latest.version - 1; v >= Math.max(1, latest.version - lookBack); v--) {
    let stored: WorkflowDocument | null;
    try {
      stored = await fetchVersion(v);
    } catch {
      continue;
    }
    if (stored && sameDocument(doc, stored)) return { version: v, source: 'older' };
  }
  if (remembered !== null && remembered >= 1 && remembered <= latest.version) {
    return { version: remembered, source: 'remembered' };
  }
  return { version: latest.version, source: 'assumed' };
}

/**
 * A server timestamp (ISO 8601) in the browser's local time, as the run pickers show
 * times; '' when there is none, the text itself when it is not a time.
 */
export function when(at: string | null | undefined): string {
  if (!at) return '';
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : d.toLocaleString();
}

/** The conflict dialog's explanation: what happened, which version the server has. */
export function conflictText(name: string, conflict: VersionConflict, storedAt?: string | null): string {
  const at = when(storedAt);
  const latest = `version ${conflict.latest}${at ? ` (stored ${at})` : ''}`;
  if (conflict.base === 0) {
    return (
      `"${name}" was stored on the server by someone else after this file was opened: ` +
      `the server now has ${latest}. Storing your canvas would replace it.`
    );
  }
  return (
    `"${name}" changed on the server while you were editing: your canvas was made from ` +
    `version ${conflict.base}, the server now has ${latest}. Storing your canvas would ` +
    `replace those changes.`
  );
}

/** What each of the dialog's choices does, in the words the dialog shows. */
export function choicesText(conflict: VersionConflict): string[] {
  return [
    `Reload theirs: the canvas shows version ${conflict.latest}; your edits here are discarded ` +
      '(the file on disk changes only when you save).',
    `Overwrite: your canvas is stored as version ${conflict.latest + 1}, on top of theirs; ` +
      `version ${conflict.latest} stays in the history (Versions can restore it).`,
    'Cancel: nothing is stored; your edits stay on the canvas.'
  ];
}

const MEMORY = 'orcheo-jupyter:stored-versions';

type Memory = Record<string, { path: string; version: number }>;

function memory(): Memory {
  try {
    const data = JSON.parse(globalThis.localStorage?.getItem(MEMORY) ?? '{}') as unknown;
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as Memory) : {};
  } catch {
    return {};
  }
}

/** The version this browser last stored from (or loaded into) the file ``path`` of workflow ``id``. */
export function rememberedBase(id: string, path: string): number | null {
  const entry = memory()[id];
  return entry && entry.path === path && typeof entry.version === 'number' ? entry.version : null;
}

/** Remember that the file ``path`` of workflow ``id`` was made from ``version``. */
export function rememberBase(id: string, path: string, version: number): void {
  try {
    globalThis.localStorage?.setItem(MEMORY, JSON.stringify({ ...memory(), [id]: { path, version } }));
  } catch {
    /* storage full or disabled: the file's base is found again from the stored versions */
  }
}
