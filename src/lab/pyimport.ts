/**
 * "Import as Orcheo workflow" for a ``.py`` file in the file browser: the names it
 * gives the workflow and its file, and what it tells the user when the server
 * refuses the script. Pure logic (no Lab imports), unit tested in tests/ts; the
 * command itself is in importscript.ts.
 */

/** The longest workflow name the server takes (``ImportPythonRequest.name``). */
export const MAX_NAME = 200;

/** Whether ``path`` names a Python script (what the command offers to import). */
export function isScript(path: string): boolean {
  return /\.py$/i.test(path);
}

/** ``flows/etl.py`` -> ``etl``: the stem of the workflow file written beside the script. */
export function scriptStem(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.py$/i, '') || 'workflow';
}

/** The workflow's name: the script's stem, as long as the server takes. */
export function workflowName(path: string): string {
  return scriptStem(path).slice(0, MAX_NAME);
}

/**
 * The first of ``<stem>.orcheo.json``, ``<stem>-1.orcheo.json``, ``<stem>-2.orcheo.json``...
 * that no name in ``taken`` (the folder's listing) holds. Compared without case: on a
 * case-insensitive disk ``Flow.orcheo.json`` would be overwritten by ``flow.orcheo.json``.
 */
export function freeWorkflowFile(stem: string, taken: Iterable<string>): string {
  const names = new Set([...taken].map(name => name.toLowerCase()));
  for (let i = 0; ; i++) {
    const name = `${stem}${i ? `-${i}` : ''}.orcheo.json`;
    if (!names.has(name.toLowerCase())) return name;
  }
}

/** What the import dialog says about a refused script. */
export interface Refusal {
  /** The server's words: one entry per problem it found (else its error message). */
  messages: string[];
  /** The script line the first problem names (1-based), when one names a line. */
  line: number | null;
  /** That line of the script as the file has it ('' when the script is shorter). */
  code: string;
}

/** A line named as the server names them: ``line 3: ...`` (its own checks), ``Line 3: ...`` (RestrictedPython's). */
const LINE = /(?:^|: )line (\d+)[:,]/i;

/**
 * The refusal of an import, read from the error the REST client threw (``status``,
 * ``message``, and for 422s ``details``: one problem per entry, its ``message``
 * starting with the line it is about). Any other error (the network, a file that
 * cannot be read) is told by its message.
 */
export function refusal(err: unknown, script: string): Refusal {
  const e = (err ?? {}) as { message?: unknown; details?: unknown };
  const problems = Array.isArray(e.details)
    ? (e.details as { message?: unknown }[])
        .map(p => (p && typeof p.message === 'string' ? p.message : ''))
        .filter(Boolean)
    : [];
  const message = typeof e.message === 'string' && e.message ? e.message : String(err);
  const messages = problems.length ? problems : [message];
  let line: number | null = null;
  for (const text of messages) {
    const found = LINE.exec(text);
    if (found) {
      line = Number(found[1]);
      break;
    }
  }
  const lines = script.split(/\r\n|\r|\n/);
  const code = line !== null && line >= 1 && line <= lines.length ? lines[line - 1] : '';
  return { messages, line, code };
}

/**
 * The graphs a script defines, when the server refused it for defining several and
 * naming none (``script defines 2 graphs (first, second); ...``): each is an
 * entrypoint the user can pick. Empty for any other refusal.
 */
export function graphChoices(refused: Refusal): string[] {
  for (const text of refused.messages) {
    const found = /defines \d+ graphs \(([^)]*)\)/.exec(text);
    if (found)
      return found[1]
        .split(',')
        .map(name => name.trim())
        .filter(Boolean);
  }
  return [];
}
