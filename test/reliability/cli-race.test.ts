/**
 * 20 `natflow provision` processes at once on one data directory (no `natflow up`), 20
 * distinct plans racing for one transit IP and port — 3 rounds (10 in `npm run soak -- --only cli-race`).
 * Each ends SUCCEEDED or with DNAT_PORT_CONFLICT (exit 1 from the workflow, 2 from validation), never
 * INTERNAL; one rule per round; losers leave nothing; no one-shot run leaves a `stack.json` behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareRace, RACERS, raceRound } from './cli-race.ts';
import type { SharedIds } from './support.ts';

describe('20 concurrent `natflow provision` processes on one data directory', () => {
  let dataDir: string;
  let ids: SharedIds;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-cli-race-'));
    ids = await prepareRace(dataDir);
  }, 120_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it.each([1, 2, 3])(
    'round %i: one SUCCEEDED, the rest DNAT_PORT_CONFLICT, never INTERNAL',
    async (round) => {
      const outcome = await raceRound(dataDir, ids, round);
      expect(outcome.unexpected, JSON.stringify(outcome.unexpected, null, 2)).toEqual([]);
      expect(outcome.runs).toHaveLength(RACERS);
      expect(outcome.winners).toBe(1);
      expect(outcome.rules).toBe(1);
      expect(outcome.leftByLosers).toBe(0);
      expect(outcome.stackFile).toBe(false);
    },
    240_000,
  );
});
