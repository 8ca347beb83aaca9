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
export type RestoreOutcome<T, V extends StoredVersion = StoredVersion> =
  /**
   * answered; ``base`` is the latest it was sent on, ``stored`` whether THIS request
   * stored a version (false: the server kept a version that already held the document)
   */
  | { kind: 'restored'; detail: T; base: number; stored: boolean }
  /** nothing stored; ``list`` is the versions as they are now, ``latest`` its last */
  | { kind: 'refresh' | 'cancel'; list: V[]; latest: V };

/** What a restore needs from the server and from the user. */
export interface RestoreSteps<T extends { version: number; stored: boolean }, V extends StoredVersion = StoredVersion> {
  /** ``POST .../versions/{n}/restore?base_version=base``. */
  restore(base: number): Promise<T>;
  /** The stored versions now, oldest first. */
  versions(): Promise<V[]>;
  /** Ask what to do now that ``conflict.latest`` (stored at ``latest.created_at``) is current. */
  ask(conflict: VersionConflict, latest: V): Promise<RestoreChoice>;
}

/**
 * Restore a version on top of ``base`` (the latest the dialog showed). When someone
 * stored a version since, ask: refresh the list, restore anyway (on top of theirs,
 * still refused if yet another lands meanwhile) or cancel.
 *
 * The server answers 200 without storing when its latest version already holds the
 * restored document, whatever the base (nothing of theirs would be lost); its
 * ``stored`` says whether this request stored the version it answers with.
 */
export async function restoreOnBase<
  T extends { version: number; stored: boolean },
  V extends StoredVersion = StoredVersion
>(base: number, steps: RestoreSteps<T, V>): Promise<RestoreOutcome<T, V>> {
  for (;;) {
    try {
      const detail = await steps.restore(base);
      return { kind: 'restored', detail, base, stored: detail.stored };
    } catch (err) {
      const conflict = versionConflict(err);
      if (!conflict) throw err;
      const list = await steps.versions();
      const latest = list[list.length - 1];
      if (!latest) throw err; // every version gone: the error says what happened
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
  storedAt?: string | null,
  shown: number = conflict.base
): string {
  const at = when(storedAt);
  const since =
    conflict.base === shown
      ? `changed on the server after this list was shown: it showed version ${conflict.base} as the current one`
      : `changed on the server again while you decided: version ${conflict.base} was the current one when ` +
        `you chose to restore anyway (this list still shows version ${shown})`;
  return (
    `"${name}" ${since}, the server now has version ${conflict.latest}` +
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
 * The status line after a restore that answered: ``current`` is the version the server
 * answered with, ``base`` the latest it was sent on, ``shown`` the latest the list showed,
 * ``stored`` whether this request stored ``current``.
 */
export function restoredText(version: number, current: number, base: number, shown: number, stored: boolean): string {
  if (!stored) {
    if (current === version) return `v${version} is already current.`;
    const which = current > shown ? 'stored on the server since' : 'the current version';
    return `v${current}, ${which}, already holds v${version}'s document: nothing was stored.`;
  }
  return `Restored v${version} as v${current}, now the current version${base !== shown ? ` (on top of v${base})` : ''}.`;
}

/** The status line after a restore that stored nothing. */
export function notRestoredText(
  version: number,
  outcome: 'refresh' | 'cancel',
  latest: StoredVersion,
  shown: number = latest.version
): string {
  if (outcome === 'refresh')
    return (
      `Not restored: the list now shows version ${latest.version}, the current one. ` +
      `Restore v${version} again to store it on top.`
    );
  const stale = shown !== latest.version ? `; this list still shows v${shown} as the current one` : '';
  return `Not restored: the server keeps version ${latest.version}${stale}.`;
}
