/**
 * The probe (docs/probe.md): path analysis, a live request through the local data plane, or both — in which
 * case the two must agree on reachability. A disagreement means the model and the sockets behave
 * differently: it is natflow's own bug, thrown as PROBE_DISAGREEMENT with both answers attached, never
 * reported as a verdict.
 *
 * The analysis supplies the explanation code and the hops; the live request supplies the status, the
 * latency, and who answered. On AWS there is no data plane: analysis only.
 */
import { NotFoundError } from '../cloud/errors.ts';
import { NatflowError } from '../net/errors.ts';
import { analyze, type ExplanationCode, type Hop, type HopComponent, resolveProbe } from './analyze.ts';
import type { LiveNetwork, LiveResult } from './live.ts';
import type { Topology } from './model.ts';
import type { ProbeProtocol } from './policy.ts';

export type ProbeMode = 'analyze' | 'live' | 'both';

export interface ProbeRequest {
  from: string;
  to: string;
  protocol: ProbeProtocol;
  port: number;
  mode?: ProbeMode | undefined;
  plan?: string | undefined;
}

export interface ProbeReport {
  verdict: 'REACHABLE' | 'UNREACHABLE';
  code?: ExplanationCode;
  component?: HopComponent;
  mode: ProbeMode;
  hops: Hop[];
  live?: LiveResult;
}

export interface ProbeOptions {
  /** The live network to send the request through (the local data plane); none: analysis only. */
  dataPlane?: LiveNetwork | undefined;
  timeoutMs?: number;
}

/** The analysis and the live request disagree: natflow's model and its sockets behave differently. */
export class ProbeDisagreementError extends NatflowError {
  override name = 'PROBE_DISAGREEMENT';
}

/**
 * Probes one path.
 *
 * @example
 * const report = await probe(topology, { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80 }, { dataPlane });
 * report.live?.status // 200
 */
export async function probe(
  topology: Topology,
  request: ProbeRequest,
  options: ProbeOptions = {},
): Promise<ProbeReport> {
  const mode: ProbeMode = options.dataPlane ? (request.mode ?? 'both') : 'analyze';
  const analysis = mode === 'live' ? undefined : analyze(topology, request);
  if (mode === 'analyze' || !options.dataPlane) {
    return { ...(analysis as NonNullable<typeof analysis>), mode };
  }
  const { source, destination } = resolveProbe(topology, request);
  const live = await options.dataPlane.send({
    fromServerId: source.id,
    to: { ip: destination.ip, vpcId: destination.vpcId },
    protocol: request.protocol,
    port: request.port,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  if (!analysis) {
    return { verdict: live.ok ? 'REACHABLE' : 'UNREACHABLE', mode, hops: [], live };
  }
  const liveVerdict = live.ok ? 'REACHABLE' : 'UNREACHABLE';
  if (liveVerdict !== analysis.verdict) {
    throw new ProbeDisagreementError(
      `the analysis says ${analysis.verdict}${analysis.code ? ` (${analysis.code})` : ''} but the live ${request.protocol} probe from ${request.from} to ${request.to}:${request.port} got ${String(live.status)}${live.responder ? ` from ${live.responder}` : ''}`,
      { details: { analysis, live } },
    );
  }
  return { ...analysis, mode, live };
}

export interface VerifyEntry {
  name?: string | undefined;
  from: string;
  to: string;
  protocol: ProbeProtocol;
  port: number;
  expect?: 'reachable' | 'unreachable' | undefined;
  code?: string | undefined;
}

export interface VerifyResult {
  entry: VerifyEntry;
  verdict: 'REACHABLE' | 'UNREACHABLE';
  code?: string;
  expected: 'reachable' | 'unreachable';
  expectedCode?: string;
  ok: boolean;
  /** How it was found: by analysis, by a live request, or both (docs/real-cloud.md#verification-output). */
  mode: ProbeMode;
  live?: LiveResult;
  detail?: string;
}

/**
 * Probes each `verify` entry of a plan; an entry holds when the verdict is the one expected (and, with
 * `code`, the explanation code too). A name that no longer resolves is a failed entry (NOT_FOUND), so a
 * scheduled verification reports lost connectivity instead of crashing; a probe disagreement throws.
 */
export async function verifyEntries(
  topology: Topology,
  entries: readonly VerifyEntry[],
  options: ProbeOptions & { plan?: string | undefined; mode?: ProbeMode } = {},
): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  for (const entry of entries) {
    const expected = entry.expect ?? 'reachable';
    const expectation = { expected, ...(entry.code ? { expectedCode: entry.code } : {}) };
    let report: ProbeReport;
    try {
      report = await probe(
        topology,
        {
          from: entry.from,
          to: entry.to,
          protocol: entry.protocol,
          port: entry.port,
          plan: options.plan,
          mode: options.mode,
        },
        options,
      );
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      results.push({
        entry,
        verdict: 'UNREACHABLE',
        code: error.name,
        ...expectation,
        ok: false,
        mode: options.dataPlane ? (options.mode ?? 'both') : 'analyze',
        detail: error.message,
      });
      continue;
    }
    const verdictHolds = report.verdict === (expected === 'reachable' ? 'REACHABLE' : 'UNREACHABLE');
    const codeHolds = entry.code === undefined || entry.code === report.code;
    const failedHop = report.hops.find((h) => h.result === 'fail');
    results.push({
      entry,
      verdict: report.verdict,
      ...(report.code ? { code: report.code } : {}),
      ...expectation,
      ok: verdictHolds && codeHolds,
      mode: report.mode,
      ...(report.live ? { live: report.live } : {}),
      ...(failedHop ? { detail: failedHop.detail } : {}),
    });
  }
  return results;
}
