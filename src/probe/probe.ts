/**
 * The probe (docs/probe.md): path analysis, a live request through the local data plane, or both — in which
 * case the two must agree on reachability. A disagreement means the model and the sockets behave
 * differently: it is natflow's own bug, thrown as PROBE_DISAGREEMENT with both answers attached, never
 * reported as a verdict.
 *
 * The analysis supplies the explanation code and the hops; the live request supplies the status, the
 * latency, and who answered. On AWS there is no data plane: analysis only.
 *
 * natflow sends no packet into a real VPC (docs/clouds.md, docs/real-cloud.md "Verification output"):
 * a probe involving a resource recorded in a cloud whose registry entry has no `liveProbe` is the
 * analysis of natflow's model — said so in the report's `note` when no mode was asked, and refused
 * (LIVE_PROBE_UNAVAILABLE) when `live` or `both` was asked explicitly. That holds wherever the probe
 * runs (the CLI's own process, a running stack's API), whatever cloud the command names.
 */
import { NotFoundError } from '../cloud/errors.ts';
import type { Resource } from '../cloud/resources.ts';
import type { ErrorCode } from '../codes/codes.ts';
import { NatflowError } from '../net/errors.ts';
import { can, cloudOfResource } from '../providers/registry.ts';
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
  /** Why the probe ran as it did, when that is not what was asked (a real cloud: analysis only). */
  note?: string;
}

export interface ProbeOptions {
  /** The live network to send the request through (the local data plane); none: analysis only. */
  dataPlane?: LiveNetwork | undefined;
  timeoutMs?: number;
}

/** A live probe (`live` or `both`, asked explicitly) of what a real cloud holds. */
export class LiveProbeUnavailableError extends NatflowError {
  override name: ErrorCode = 'LIVE_PROBE_UNAVAILABLE';
}

/** The first resource a probe involves (its source, a named destination) that is recorded in a real cloud. */
export function realCloudOf(
  topology: Topology,
  request: Pick<ProbeRequest, 'from' | 'to' | 'plan'>,
): { resource: Resource; cloud: string } | undefined {
  const { source, destination } = resolveProbe(topology, request);
  for (const resource of [source, destination.named]) {
    if (resource === undefined) continue;
    const cloud = cloudOfResource(resource);
    if (!can(cloud, 'liveProbe')) return { resource, cloud };
  }
  return undefined;
}

/**
 * The request as it may run on `topology`: unchanged, or — when a real cloud holds what it probes —
 * analysis only with the note that says why; LIVE_PROBE_UNAVAILABLE for an explicit live mode there.
 */
export function modeFor(topology: Topology, request: ProbeRequest): { request: ProbeRequest; note?: string } {
  if (request.mode === 'analyze') return { request };
  const held = realCloudOf(topology, request);
  if (!held) return { request };
  const what = `${held.resource.name} (${held.resource.id}) is recorded in ${held.cloud}`;
  if (request.mode === 'live' || request.mode === 'both') {
    throw new LiveProbeUnavailableError(
      `a ${request.mode} probe sends packets, and ${what}: natflow sends no packet into a real VPC; probe it with mode analyze`,
      { path: 'mode', details: { resource: held.resource.id, cloud: held.cloud } },
    );
  }
  return {
    request: { ...request, mode: 'analyze' },
    note: `${what}: the probe is the analysis of natflow's model of it; natflow sent no packet into a real VPC`,
  };
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
  const decided = modeFor(topology, request);
  if (decided.note !== undefined) {
    const report = await probe(topology, decided.request, { ...options, dataPlane: undefined });
    return { ...report, note: decided.note };
  }
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
