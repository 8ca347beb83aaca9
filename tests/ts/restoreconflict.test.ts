import { describe, expect, it } from 'vitest';

import {
  notRestoredText,
  RestoreChoice,
  restoreChoicesText,
  restoreConflictText,
  restoredText,
  restoreOnBase,
  StoredVersion
} from '../../src/lab/restoreconflict';
import { VersionConflict } from '../../src/lab/storedversion';

/** What the API client throws for a 409 ``version_conflict``. */
function conflict(base: number, latest: number): unknown {
  return { status: 409, code: 'version_conflict', details: { base_version: base, latest } };
}

interface Detail {
  version: number;
  stored: boolean;
}

/**
 * A server restoring version ``restored`` (1 unless told) as the real one does: when its
 * latest version holds that document already it answers with the latest (200, nothing
 * stored, whatever the base); else a stale base is a 409; else the document is stored as
 * the next version. Its latest moves on as ``lands`` says: just before the restore sent
 * with each base (by call), those versions are stored by someone else.
 */
function server(initial: StoredVersion[], answers: RestoreChoice[], lands: StoredVersion[][] = [], restored = 1) {
  let list = [...initial];
  const sent: number[] = [];
  const asked: { conflict: VersionConflict; latest: StoredVersion }[] = [];
  const steps = {
    async restore(base: number): Promise<Detail> {
      list = [...list, ...(lands[sent.length] ?? [])];
      sent.push(base);
      const latest = list[list.length - 1];
      const checksum = list.find(v => v.version === restored)?.checksum;
      if (latest.checksum === checksum) return { version: latest.version, stored: false };
      if (base !== latest.version) throw conflict(base, latest.version);
      list = [...list, { version: latest.version + 1, checksum }];
      return { version: latest.version + 1, stored: true };
    },
    async versions(): Promise<StoredVersion[]> {
      return [...list];
    },
    async ask(c: VersionConflict, latest: StoredVersion): Promise<RestoreChoice> {
      asked.push({ conflict: c, latest });
      const answer = answers.shift();
      if (!answer) throw new Error('asked once too often');
      return answer;
    }
  };
  /** Someone else stores ``v`` now. */
  const land = (v: StoredVersion): void => {
    list = [...list, v];
  };
  return { steps, sent, asked, list: () => list, land };
}

const V1 = { version: 1, checksum: 'one', created_at: '2026-12-07T01:00:00+00:00' };
const V2 = { version: 2, checksum: 'two', created_at: '2026-12-07T02:00:00+00:00' };
const V3 = { version: 3, checksum: 'three', created_at: '2026-12-07T03:00:00+00:00' };
const V4 = { version: 4, checksum: 'four', created_at: '2026-12-07T04:00:00+00:00' };

describe('restoreOnBase', () => {
  it('restores on top of the latest the list showed, asking nothing when nobody stored since', async () => {
    const s = server([V1, V2], []);
    const outcome = await restoreOnBase(2, s.steps);
    expect(outcome).toEqual({ kind: 'restored', detail: { version: 3, stored: true }, base: 2, stored: true });
    expect(s.sent).toEqual([2]);
    expect(s.asked).toEqual([]);
  });

  it('asks when someone stored a version since, and Cancel stores nothing', async () => {
    const s = server([V1, V2, V3], ['cancel']);
    const outcome = await restoreOnBase(2, s.steps);
    expect(s.asked).toEqual([{ conflict: { base: 2, latest: 3 }, latest: V3 }]);
    expect(outcome).toEqual({ kind: 'cancel', list: [V1, V2, V3], latest: V3 });
    expect(s.sent).toEqual([2]);
    expect(s.list()).toEqual([V1, V2, V3]);
  });

  it('Refresh the list stores nothing and hands back the versions as they are now', async () => {
    const s = server([V1, V2, V3], ['refresh']);
    const outcome = await restoreOnBase(2, s.steps);
    expect(outcome).toEqual({ kind: 'refresh', list: [V1, V2, V3], latest: V3 });
    expect(s.list()).toEqual([V1, V2, V3]);
  });

  it('Restore anyway stores it on top of theirs, still naming the version it was shown', async () => {
    const s = server([V1, V2, V3], ['anyway']);
    const outcome = await restoreOnBase(2, s.steps);
    expect(outcome).toEqual({ kind: 'restored', detail: { version: 4, stored: true }, base: 3, stored: true });
    expect(s.sent).toEqual([2, 3]);
    expect(s.list().map(v => v.version)).toEqual([1, 2, 3, 4]);
  });

  it('asks again when yet another version lands while the user decides', async () => {
    // Version 4 lands just before the "anyway" restore is sent on top of version 3.
    const s = server([V1, V2, V3], ['anyway', 'anyway'], [[], [V4]]);
    const outcome = await restoreOnBase(2, s.steps);
    expect(s.asked.map(a => a.conflict)).toEqual([
      { base: 2, latest: 3 },
      { base: 3, latest: 4 }
    ]);
    expect(outcome).toEqual({ kind: 'restored', detail: { version: 5, stored: true }, base: 4, stored: true });
    expect(s.sent).toEqual([2, 3, 4]);
  });

  it('says nothing was stored when a version stored since holds the restored document already', async () => {
    // Someone else restored version 1 as version 3: the server answers 200 with their version 3.
    const s = server([V1, V2, { ...V3, checksum: 'one' }], []);
    const outcome = await restoreOnBase(2, s.steps);
    expect(s.sent).toEqual([2]);
    expect(s.asked).toEqual([]);
    expect(outcome).toEqual({ kind: 'restored', detail: { version: 3, stored: false }, base: 2, stored: false });
    expect(s.list().map(v => v.version)).toEqual([1, 2, 3]);
  });

  it('says nothing was stored when theirs is several versions on', async () => {
    const s = server([V1, V2, V3, { ...V4, checksum: 'one' }], []);
    const outcome = await restoreOnBase(2, s.steps);
    expect(outcome).toEqual({ kind: 'restored', detail: { version: 4, stored: false }, base: 2, stored: false });
  });

  it('tells a version this restore stored from one of theirs after the base holding the same document', async () => {
    // Their version 3 is base + 1, as a stored one would be, but it existed before the restore was sent.
    const theirs = server([V1, V2, { ...V3, checksum: 'one' }], []);
    expect(await restoreOnBase(2, theirs.steps)).toMatchObject({
      detail: { version: 3, stored: false },
      stored: false
    });
    const ours = server([V1, V2], []);
    expect(await restoreOnBase(2, ours.steps)).toMatchObject({ detail: { version: 3, stored: true }, stored: true });
  });

  it('says nothing was stored when the version lands between asking and restoring anyway', async () => {
    // While the user decides, someone restores version 1 as version 4: "anyway" stores nothing.
    const s = server([V1, V2, V3], ['anyway']);
    const outcome = await restoreOnBase(2, {
      ...s.steps,
      ask: (c, latest) => {
        s.land({ ...V4, checksum: 'one' });
        return s.steps.ask(c, latest);
      }
    });
    expect(outcome).toEqual({ kind: 'restored', detail: { version: 4, stored: false }, base: 3, stored: false });
    expect(s.list().map(v => v.version)).toEqual([1, 2, 3, 4]);
  });

  it('passes on every other error without asking or retrying', async () => {
    for (const err of [
      { status: 422, code: 'invalid_document', details: [] },
      { status: 409, code: 'ambiguous', details: null },
      new Error('network down')
    ]) {
      const s = server([V1, V2], []);
      let calls = 0;
      await expect(
        restoreOnBase(2, {
          ...s.steps,
          restore: async () => {
            calls++;
            throw err;
          }
        })
      ).rejects.toBe(err);
      expect(calls).toBe(1);
      expect(s.asked).toEqual([]);
    }
  });
});

describe('restore conflict texts', () => {
  it('says which version the list showed, which the server has now and when it was stored', () => {
    const at = '2026-12-07T03:00:00+00:00';
    const local = new Date(at).toLocaleString();
    expect(restoreConflictText('flow', 1, { base: 2, latest: 3 }, at)).toBe(
      '"flow" changed on the server after this list was shown: it showed version 2 as the current one, ' +
        `the server now has version 3 (stored ${local}). Restoring version 1 would replace those changes.`
    );
    expect(restoreConflictText('flow', 1, { base: 2, latest: 3 })).toContain('the server now has version 3. ');
    expect(restoreConflictText('flow', 1, { base: 2, latest: 3 }, null, 2)).toContain('it showed version 2 as');
  });

  it('on a second question, says the list still shows the version it was shown with', () => {
    // "Restore anyway" on top of version 3 met version 4; the list still shows version 2.
    expect(restoreConflictText('flow', 1, { base: 3, latest: 4 }, null, 2)).toBe(
      '"flow" changed on the server again while you decided: version 3 was the current one when you ' +
        'chose to restore anyway (this list still shows version 2), the server now has version 4. ' +
        'Restoring version 1 would replace those changes.'
    );
  });

  it('names the versions each choice leads to', () => {
    expect(restoreChoicesText(1, { base: 2, latest: 4 })).toEqual([
      'Refresh the list: nothing is restored; the list shows version 4 as the current one and what ' +
        'changed from version 1 to it.',
      'Restore anyway: version 1 is stored as version 5, on top of theirs; version 4 stays in the ' +
        'history (Versions can restore it).',
      'Cancel: nothing is restored; the server keeps version 4.'
    ]);
  });

  it('says what a restore did', () => {
    expect(restoredText(1, 3, 2, 2, true)).toBe('Restored v1 as v3, now the current version.');
    expect(restoredText(1, 4, 3, 2, true)).toBe('Restored v1 as v4, now the current version (on top of v3).');
    expect(restoredText(1, 2, 2, 2, false)).toBe(
      "v2, the current version, already holds v1's document: nothing was stored."
    );
    expect(restoredText(2, 2, 2, 2, false)).toBe('v2 is already current.');
  });

  it('never claims a version someone else stored since', () => {
    // They restored v3 as v6 after the list showed v5: the server answers v6, stored nothing.
    expect(restoredText(3, 6, 5, 5, false)).toBe(
      "v6, stored on the server since, already holds v3's document: nothing was stored."
    );
    expect(restoredText(3, 7, 6, 5, false)).toBe(
      "v7, stored on the server since, already holds v3's document: nothing was stored."
    );
  });

  it('says what a restore that stored nothing leaves', () => {
    expect(notRestoredText(1, 'refresh', V3)).toBe(
      'Not restored: the list now shows version 3, the current one. Restore v1 again to store it on top.'
    );
    expect(notRestoredText(1, 'cancel', V3)).toBe('Not restored: the server keeps version 3.');
    // After Cancel the list is as it was: the status says it no longer shows the current one.
    expect(notRestoredText(1, 'cancel', V3, 2)).toBe(
      'Not restored: the server keeps version 3; this list still shows v2 as the current one.'
    );
  });
});
