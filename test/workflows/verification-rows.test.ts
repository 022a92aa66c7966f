/**
 * Verification rows (docs/real-cloud.md#verification-output): one per `verify` entry, from the probe's
 * results, and the verify workflow's summary — `{ok, plans: [{plan, cloud, ok, entries}]}`, with the
 * failure document VERIFICATION_FAILED ends with when a plan lost connectivity.
 */
import { describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/probe/probe.ts';
import { summarizeVerification, verificationRow, verificationRows } from '../../src/workflow/verification.ts';

const HTTP: VerifyResult = {
  entry: { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80, expect: 'reachable' },
  verdict: 'REACHABLE',
  expected: 'reachable',
  ok: true,
  mode: 'both',
  live: { ok: true, status: 200, latencyMs: 1.2 },
};
const SSH: VerifyResult = {
  entry: {
    from: 'ECS-A',
    to: 'transit-ip-A',
    protocol: 'tcp',
    port: 22,
    expect: 'unreachable',
    code: 'NO_MATCHING_RULE',
  },
  verdict: 'REACHABLE',
  expected: 'unreachable',
  expectedCode: 'NO_MATCHING_RULE',
  ok: false,
  mode: 'analyze',
  detail: 'a rule forwards tcp 22',
};

describe('Function: verificationRow', () => {
  it('keeps the path, what was expected, what was found and how — nothing of the probe’s detail', () => {
    expect(verificationRow(HTTP)).toEqual({
      from: 'ECS-A',
      to: 'transit-ip-A',
      protocol: 'http',
      port: 80,
      expect: 'reachable',
      verdict: 'REACHABLE',
      mode: 'both',
      ok: true,
    });
    expect(verificationRow(SSH)).toEqual({
      from: 'ECS-A',
      to: 'transit-ip-A',
      protocol: 'tcp',
      port: 22,
      expect: 'unreachable',
      expectCode: 'NO_MATCHING_RULE',
      verdict: 'REACHABLE',
      mode: 'analyze',
      ok: false,
    });
  });

  it('reads results and rows alike, and leaves anything else out', () => {
    const row = verificationRow(HTTP);
    expect(verificationRows([HTTP, row, null, 'x', { a: 1 }])).toEqual([row, row]);
  });
});

describe('Function: summarizeVerification', () => {
  it('is the document of every plan, its rows and its cloud, when every plan holds', () => {
    expect(summarizeVerification([{ plan: 'p', cloud: 'huaweicloud', ok: true, results: [HTTP] }])).toEqual({
      ok: true,
      plans: [{ plan: 'p', cloud: 'huaweicloud', ok: true, entries: [verificationRow(HTTP)] }],
    });
  });

  it('carries the failure document VERIFICATION_FAILED ends with, every row in it, when a plan lost connectivity', () => {
    const summary = summarizeVerification([
      { plan: 'p', ok: true, entries: [verificationRow(HTTP)] },
      { plan: 'q', ok: false, results: [HTTP, SSH] },
    ]);
    expect(summary.ok).toBe(false);
    const cause = JSON.parse(summary.cause ?? '{}');
    expect(cause).toMatchObject({
      code: 'VERIFICATION_FAILED',
      message: expect.stringContaining(
        'ECS-A → transit-ip-A:22/tcp expected unreachable (NO_MATCHING_RULE), found REACHABLE',
      ),
    });
    expect(cause.verification).toEqual({ ok: false, plans: summary.plans });
    expect(summary.plans.map((p) => [p.plan, p.cloud, p.entries.length])).toEqual([
      ['p', 'virtual', 1],
      ['q', 'virtual', 2],
    ]);
  });
});
