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
}

/**
 * A server whose latest version moves on as ``lands`` says: before the restore sent
 * with each base (by call), the versions listed grow to that many. The restore stores
 * ``version``'s document as the next version unless the base is stale.
 */
function server(initial: StoredVersion[], answers: RestoreChoice[], lands: StoredVersion[][] = []) {
  let list = [...initial];
  const sent: number[] = [];
  const asked: { conflict: VersionConflict; latest: StoredVersion }[] = [];
  const steps = {
    async restore(base: number): Promise<Detail> {
      list = [...list, ...(lands[sent.length] ?? [])];
      sent.push(base);
      const latest = list[list.length - 1].version;
      if (base !== latest) throw conflict(base, latest);
      list = [...list, { version: latest + 1, checksum: 'restored' }];
      return { version: latest + 1 };
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
  return { steps, sent, asked, list: () => list };
}

const V1 = { version: 1, checksum: 'one', created_at: '2026-12-07T01:00:00+00:00' };
const V2 = { version: 2, checksum: 'two', created_at: '2026-12-07T02:00:00+00:00' };
const V3 = { version: 3, checksum: 'three', created_at: '2026-12-07T03:00:00+00:00' };
const V4 = { version: 4, checksum: 'four', created_at: '2026-12-07T04:00:00+00:00' };

describe('restoreOnBase', () => {
  it('restores on top of the latest the list showed, asking nothing when nobody stored since', async () => {
    const s = server([V1, V2], []);
    const outcome = await restoreOnBase(1, 2, s.steps);
    expect(outcome).toEqual({ kind: 'restored', detail: { version: 3 }, base: 2 });
    expect(s.sent).toEqual([2]);
    expect(s.asked).toEqual([]);
  });

  it('asks when someone stored a version since, and Cancel stores nothing', async () => {
    const s = server([V1, V2, V3], ['cancel']);
    const outcome = await restoreOnBase(1, 2, s.steps);
    expect(s.asked).toEqual([{ conflict: { base: 2, latest: 3 }, latest: V3 }]);
    expect(outcome).toEqual({ kind: 'cancel', list: [V1, V2, V3], latest: V3 });
    expect(s.sent).toEqual([2]);
    expect(s.list()).toEqual([V1, V2, V3]);
  });

  it('Refresh the list stores nothing and hands back the versions as they are now', async () => {
    const s = server([V1, V2, V3], ['refresh']);
    const outcome = await restoreOnBase(1, 2, s.steps);
    expect(outcome).toEqual({ kind: 'refresh', list: [V1, V2, V3], latest: V3 });
    expect(s.list()).toEqual([V1, V2, V3]);
  });

  it('Restore anyway stores it on top of theirs, still naming the version it was shown', async () => {
    const s = server([V1, V2, V3], ['anyway']);
    const outcome = await restoreOnBase(1, 2, s.steps);
    expect(outcome).toEqual({ kind: 'restored', detail: { version: 4 }, base: 3 });
    expect(s.sent).toEqual([2, 3]);
    expect(s.list().map(v => v.version)).toEqual([1, 2, 3, 4]);
  });

  it('asks again when yet another version lands while the user decides', async () => {
    // Version 4 lands just before the "anyway" restore is sent on top of version 3.
    const s = server([V1, V2, V3], ['anyway', 'anyway'], [[], [V4]]);
    const outcome = await restoreOnBase(1, 2, s.steps);
    expect(s.asked.map(a => a.conflict)).toEqual([
      { base: 2, latest: 3 },
      { base: 3, latest: 4 }
    ]);
    expect(outcome).toEqual({ kind: 'restored', detail: { version: 5 }, base: 4 });
    expect(s.sent).toEqual([2, 3, 4]);
  });

  it('asks nothing when the version stored since holds the restored document already', async () => {
    // Someone else restored version 1 as version 3: nothing of theirs would be replaced.
    const s = server([V1, V2, { ...V3, checksum: 'one' }], []);
    const calls: number[] = [];
    const outcome = await restoreOnBase(1, 2, {
      ...s.steps,
      restore: async base => {
        calls.push(base);
        if (base === 2) throw conflict(2, 3);
        return { version: 3 }; // the server keeps the latest's number
      }
    });
    expect(calls).toEqual([2, 3]);
    expect(s.asked).toEqual([]);
    expect(outcome).toEqual({ kind: 'restored', detail: { version: 3 }, base: 3 });
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
        restoreOnBase(1, 2, {
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
    expect(restoredText(1, 3, 2, 2)).toBe('Restored v1 as v3, now the current version.');
    expect(restoredText(1, 4, 3, 2)).toBe('Restored v1 as v4, now the current version (on top of v3).');
    expect(restoredText(1, 3, 3, 2)).toBe("v3, the current version, already holds v1's document: nothing was stored.");
    expect(restoredText(2, 2, 2, 2)).toBe('v2 is already current.');
  });

  it('says what a restore that stored nothing leaves', () => {
    expect(notRestoredText(1, 'refresh', V3)).toBe(
      'Not restored: the list now shows version 3, the current one. Restore v1 again to store it on top.'
    );
    expect(notRestoredText(1, 'cancel', V3)).toBe('Not restored: the server keeps version 3.');
  });
});
