/**
 * Verification of a plan's `verify` entries, shared by the provision workflow (where a failed entry
 * fails the execution with VERIFICATION_FAILED, then rollback) and the verify workflow (where it emits
 * ConnectivityVerified or ConnectivityLost). Never reports a success it did not check: every entry is
 * probed — analysed hop by hop, and sent live through the local data plane when one runs.
 *
 * What it reports, per entry, is a row (docs/real-cloud.md#verification-output): the path, what was
 * expected, what was found and how — `{from, to, protocol, port, expect, verdict, code?, mode, ok}`. The
 * provision workflow's `output.verify`, the verify workflow's output and the Connectivity* events carry
 * the rows; the events keep the probe's full results beside them.
 */
import { NotFoundError, VerificationFailedError } from '../cloud/errors.ts';
import type { Resource } from '../cloud/resources.ts';
import type { Store } from '../cloud/store.ts';
import { causeText } from '../codes/failure.ts';
import { type Plan, PlanSchema } from '../plan/plan.ts';
import type { LiveNetwork } from '../probe/live.ts';
import { Topology } from '../probe/model.ts';
import { type ProbeMode, type VerifyResult, verifyEntries } from '../probe/probe.ts';
import { inScopeOf, planScope } from '../probe/scope.ts';
import type { EventPublisher } from './events.ts';

/** The virtual cloud's name, for a plan verified where no provider named its cloud. */
const VIRTUAL = 'virtual';

/** One `verify` entry as natflow reports it: the path, what was expected, what was found, and how. */
export interface VerificationRow {
  from: string;
  to: string;
  protocol: string;
  port: number;
  expect: 'reachable' | 'unreachable';
  /** The explanation code the entry expects, when it names one. */
  expectCode?: string;
  verdict: 'REACHABLE' | 'UNREACHABLE';
  code?: string;
  /** `analyze` on a real cloud (natflow sends no packet into a real VPC); `both` with the local data plane. */
  mode: ProbeMode;
  /** The entry held: the verdict (and the code, when the entry names one) is the one expected. */
  ok: boolean;
}

export interface PlanVerification {
  plan: string;
  /** The cloud the plan's resources are in. */
  cloud: string;
  ok: boolean;
  /** The probe's full results (hops' detail, the live request). */
  results: VerifyResult[];
  /** One row per entry. */
  entries: VerificationRow[];
}

/** The row of a probe's result. */
export function verificationRow(result: VerifyResult): VerificationRow {
  return {
    from: result.entry.from,
    to: result.entry.to,
    protocol: result.entry.protocol,
    port: result.entry.port,
    expect: result.expected,
    ...(result.expectedCode ? { expectCode: result.expectedCode } : {}),
    verdict: result.verdict,
    ...(result.code ? { code: result.code } : {}),
    mode: result.mode ?? 'analyze',
    ok: result.ok,
  };
}

/**
 * Rows of whatever a verification reported: a probe's results (with their `entry`) or rows already
 * (a redriven step's state); anything else is left out.
 */
export function verificationRows(values: readonly unknown[]): VerificationRow[] {
  return values.flatMap((value) => {
    if (!value || typeof value !== 'object') return [];
    if ('entry' in value && value.entry && typeof value.entry === 'object')
      return [verificationRow(value as VerifyResult)];
    if ('from' in value && 'verdict' in value) return [value as VerificationRow];
    return [];
  });
}

export async function verifyPlan(
  store: Store,
  planOrName: Plan | string,
  options: {
    dataPlane: LiveNetwork | undefined;
    failOnMismatch: boolean;
    publish?: EventPublisher | undefined;
    execution: string;
    /** The cloud the plan's resources are in (default: the virtual cloud). */
    cloud?: string | undefined;
    /** The resources as the cloud holds them, when it may differ from the ledger (a real cloud's drift). */
    asFound?: (resources: Resource[]) => Resource[];
  },
): Promise<PlanVerification> {
  const plan = typeof planOrName === 'string' ? await loadPlan(store, planOrName) : planOrName;
  // The plan's connected part of the store (indexed reads), not all of it: see src/probe/scope.ts.
  let resources = await planScope(store, plan.name);
  if (options.asFound) resources = options.asFound(resources);
  const live = options.dataPlane;
  if (live?.syncScopeFrom) {
    // Read again when the sync's turn comes, so no sync queued before it undoes this plan's endpoints.
    await live.syncScopeFrom(async () => {
      resources = await planScope(store, plan.name);
      return { resources, inScope: inScopeOf(plan.name, resources) };
    });
  } else if (live) await live.sync(await store.list()); // a live network that only syncs everything
  const topology = Topology.from(resources);
  const results = await verifyEntries(topology, plan.verify ?? [], {
    dataPlane: options.dataPlane,
    plan: plan.name,
  });
  const ok = results.every((r) => r.ok);
  if (!ok && options.failOnMismatch) {
    throw new VerificationFailedError(describeFailures(plan.name, results), { details: { results } });
  }
  const cloud = options.cloud ?? VIRTUAL;
  const entries = results.map(verificationRow);
  await options.publish?.(ok ? 'ConnectivityVerified' : 'ConnectivityLost', {
    plan: plan.name,
    cloud,
    executionArn: options.execution,
    ok,
    entries,
    results,
  });
  return { plan: plan.name, cloud, ok, results, entries };
}

/** The verify workflow's document: `{ok, plans: [{plan, cloud, ok, entries}]}`. */
export interface VerificationSummary {
  ok: boolean;
  plans: { plan: string; cloud: string; ok: boolean; entries: VerificationRow[] }[];
}

/**
 * The verify workflow's summary of its plans; when any plan lost connectivity, `cause` is the failure
 * document VERIFICATION_FAILED ends the execution with, carrying every row too.
 */
export function summarizeVerification(
  plans: { plan: string; cloud?: string; ok: boolean; results?: unknown[]; entries?: unknown[] }[],
): VerificationSummary & { cause?: string } {
  const summary: VerificationSummary = {
    ok: plans.every((p) => p.ok),
    plans: plans.map((p) => ({
      plan: p.plan,
      cloud: p.cloud ?? VIRTUAL,
      ok: p.ok,
      entries: verificationRows(p.entries ?? p.results ?? []),
    })),
  };
  if (summary.ok) return summary;
  const lost = summary.plans.filter((p) => !p.ok);
  const message = `connectivity lost for ${lost.length} of ${plans.length} plan(s): ${lost
    .map((p) => describeRows(p.plan, p.entries))
    .join(' | ')}`;
  return { ...summary, cause: causeText({ code: 'VERIFICATION_FAILED', message, verification: summary }) };
}

async function loadPlan(store: Store, name: string): Promise<Plan> {
  const record = await store.getPlan(name);
  if (!record) throw new NotFoundError(`no plan named ${name} has been provisioned`, { path: 'plan' });
  return PlanSchema.parse(record.document);
}

function describeFailures(plan: string, results: readonly VerifyResult[]): string {
  return describeRows(plan, results.map(verificationRow));
}

function describeRows(plan: string, rows: readonly VerificationRow[]): string {
  const failed = rows.filter((r) => !r.ok);
  return `plan ${plan}: ${failed.length} of ${rows.length} verify entries did not hold: ${failed
    .map(
      (r) =>
        `${pathOf(r)} expected ${r.expect}${r.expectCode ? ` (${r.expectCode})` : ''}, found ${r.verdict}${r.code ? ` (${r.code})` : ''}`,
    )
    .join('; ')}`;
}

/** A row's path as people read it: `ECS-A → transit-ip-A:80/http`. */
export function pathOf(row: Pick<VerificationRow, 'from' | 'to' | 'port' | 'protocol'>): string {
  return `${row.from} → ${row.to}:${row.port}/${row.protocol}`;
}
