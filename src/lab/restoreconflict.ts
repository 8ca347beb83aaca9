/**
 * Restore from the Versions dialog names the version the dialog showed as current
 * (``?base_version=N``), so a version someone else stored after the list was shown
 * (another tab, a notebook, the CLI or REST) is refused with a 409 instead of being
 * silently buried under the restored one. What the user is then asked, and the
 * restore's retries, are pure logic (no Lab imports), unit tested in tests/ts.
 */

import { versionConflict, VersionConflict, when } from './storedversion';

/** What a stored version's summary says (``GET /workflows/{id}/versions`` items). */
export interface StoredVersion {
  version: number;
  checksum?: string;
  created_at?: string;
}

/** The ways out of a restore conflict. */
export type RestoreChoice = 'refresh' | 'anyway' | 'cancel';

/** How a restore ended. */
export type RestoreOutcome<T> =
  /** stored (or already current), made from ``base``: the latest when the restore was sent */
  | { kind: 'restored'; detail: T; base: number }
  /** nothing stored; ``list`` is the versions as they are now, ``latest`` its last */
  | { kind: 'refresh' | 'cancel'; list: StoredVersion[]; latest: StoredVersion };

/** What a restore needs from the server and from the user. */
export interface RestoreSteps<T> {
  /** ``POST .../versions/{n}/restore?base_version=base``. */
  restore(base: number): Promise<T>;
  /** The stored versions now, oldest first. */
  versions(): Promise<StoredVersion[]>;
  /** Ask what to do now that ``conflict.latest`` (stored at ``latest.created_at``) is current. */
  ask(conflict: VersionConflict, latest: StoredVersion): Promise<RestoreChoice>;
}

/**
 * Restore ``version`` on top of ``base`` (the latest the dialog showed). When someone
 * stored a version since, ask: refresh the list, restore anyway (on top of theirs,
 * still refused if yet another lands meanwhile) or cancel. A latest version that holds
 * the restored document already is no conflict: nothing of theirs would be lost, and
 * the server keeps its number.
 */
export async function restoreOnBase<T>(
  version: number,
  base: number,
  steps: RestoreSteps<T>
): Promise<RestoreOutcome<T>> {
  for (;;) {
    try {
      return { kind: 'restored', detail: await steps.restore(base), base };
    } catch (err) {
      const conflict = versionConflict(err);
      if (!conflict) throw err;
      const list = await steps.versions();
      const latest = list[list.length - 1];
      if (!latest) throw err; // every version gone: the error says what happened
      const chosen = list.find(v => v.version === version);
      if (chosen?.checksum && chosen.checksum === latest.checksum && latest.version !== base) {
        base = latest.version;
        continue;
      }
      const choice = await steps.ask({ base: conflict.base, latest: latest.version }, latest);
      if (choice !== 'anyway') return { kind: choice, list, latest };
      base = latest.version;
    }
  }
}

/** The restore conflict's explanation: what happened, which version the server has now, since when. */
export function restoreConflictText(
  name: string,
  version: number,
  conflict: VersionConflict,
  storedAt?: string | null
): string {
  const at = when(storedAt);
  return (
    `"${name}" changed on the server after this list was shown: it showed version ` +
    `${conflict.base} as the current one, the server now has version ${conflict.latest}` +
    `${at ? ` (stored ${at})` : ''}. Restoring version ${version} would replace those changes.`
  );
}

/** What each of the restore conflict's choices does, in the words the dialog shows. */
export function restoreChoicesText(version: number, conflict: VersionConflict): string[] {
  return [
    `Refresh the list: nothing is restored; the list shows version ${conflict.latest} as the ` +
      `current one and what changed from version ${version} to it.`,
    `Restore anyway: version ${version} is stored as version ${conflict.latest + 1}, on top of ` +
      `theirs; version ${conflict.latest} stays in the history (Versions can restore it).`,
    `Cancel: nothing is restored; the server keeps version ${conflict.latest}.`
  ];
}

/**
 * The status line after a restore that answered: ``stored`` is the version the server
 * answered with, ``base`` the latest it was stored on, ``shown`` the latest the list showed.
 */
export function restoredText(version: number, stored: number, base: number, shown: number): string {
  if (stored === version) return `v${version} is already current.`;
  if (stored <= base)
    return `v${stored}, the current version, already holds v${version}'s document: nothing was stored.`;
  return `Restored v${version} as v${stored}, now the current version${base !== shown ? ` (on top of v${base})` : ''}.`;
}

/** The status line after a restore that stored nothing. */
export function notRestoredText(version: number, outcome: 'refresh' | 'cancel', latest: StoredVersion): string {
  return outcome === 'refresh'
    ? `Not restored: the list now shows version ${latest.version}, the current one. ` +
        `Restore v${version} again to store it on top.`
    : `Not restored: the server keeps version ${latest.version}.`;
}
