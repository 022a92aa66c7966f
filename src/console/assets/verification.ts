/**
 * What the console knows of each plan's last verification and drift, read from what natflow publishes
 * (docs/events.md) and from the provisionings' outputs (docs/workflows.md), as one row per verify entry.
 *
 * Where rows come from, newest wins per plan:
 * - `ConnectivityVerified` / `ConnectivityLost` events (the verify workflow, one per plan it verified);
 * - `ProvisioningSucceeded` events and the outputs of successful provisionings (`output.verify`), which
 *   outlive the bus's in-memory list;
 * - verify executions whose output lists rows per plan (`plans[].entries[]`).
 * Each row keeps its time and its source (the execution or the event), and rows are kept only for plans
 * that still exist (that own a resource): a torn-down plan's last verification is history, not state.
 *
 * Two shapes of a result are read, the first and the newer one (docs/events.md):
 *   `{entry: {from, to, protocol, port, expect?}, verdict, code?, expected, ok, …}`
 *   `{from, to, protocol, port, expect, verdict, code?, mode}`
 *
 * Drift: the latest `DriftDetected` per plan (`{plan, cloud, drift: [{kind, name, externalId, change,
 * fields?}]}`) stands until the plan is provisioned again (a provisioning repairs drift) or a later verify
 * run of the plan — another execution — reports connectivity without reporting drift.
 *
 * Pure (no DOM): Node tests import it; the console's server strips its types for the browser.
 */

export interface BusEvent {
  id?: string;
  time?: string;
  source?: string;
  'detail-type'?: string;
  detail?: Record<string, unknown>;
}

/** An execution as `GET /executions/{id}` answers it (the fields read here). */
export interface ExecutionRecord {
  executionArn: string;
  name: string;
  workflow?: string;
  status: string;
  startDate: string;
  stopDate?: string;
  output?: unknown;
}

export interface VerificationSource {
  kind: 'event' | 'execution';
  /** The event's id, or the execution's ARN. */
  id: string;
  /** What the console shows: `ConnectivityLost event`, `provisioning app-a-…`. */
  label: string;
  /** The execution behind it, when known (an event's `executionArn`). */
  executionArn?: string;
}

export interface VerificationRow {
  plan: string;
  cloud?: string;
  from: string;
  to: string;
  protocol: string;
  port: number;
  expect: 'reachable' | 'unreachable';
  verdict: string;
  code?: string;
  /** `live`, `analyze` or `both` when the result says. */
  mode?: string;
  ok: boolean;
  /** When the verification ran (epoch ms). */
  at: number;
  source: VerificationSource;
}

export interface DriftItem {
  kind: string;
  name: string;
  externalId?: string;
  change: 'gone' | 'changed';
  fields?: { field: string; recorded?: unknown; actual?: unknown }[];
}

export interface DriftReport {
  plan: string;
  cloud?: string;
  at: number;
  source: VerificationSource;
  drift: DriftItem[];
}

interface Candidate {
  plan: string;
  at: number;
  rows: VerificationRow[];
}

/** Epoch ms of an ISO text or a number; NaN when neither. */
function timeOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Date.parse(value);
  return Number.NaN;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * One verify result, in either shape, as a row; undefined when it is neither.
 *
 * @example
 *   toRow({ from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80, expect: 'reachable',
 *           verdict: 'REACHABLE', mode: 'live' }, base).ok; // true
 */
export function toRow(
  value: unknown,
  base: Pick<VerificationRow, 'plan' | 'at' | 'source'> & { cloud?: string | undefined },
): VerificationRow | undefined {
  if (!isRecord(value)) return undefined;
  const entry = isRecord(value.entry) ? value.entry : value;
  const from = entry.from;
  const to = entry.to;
  const port = Number(entry.port);
  if (typeof from !== 'string' || typeof to !== 'string' || !Number.isFinite(port)) return undefined;
  const expectText = String(entry.expect ?? value.expected ?? value.expect ?? 'reachable').toLowerCase();
  const expect = expectText === 'unreachable' ? 'unreachable' : 'reachable';
  const verdict = String(value.verdict ?? 'UNKNOWN').toUpperCase();
  const code = typeof value.code === 'string' ? value.code : undefined;
  const expectedCode =
    typeof value.expectedCode === 'string'
      ? value.expectedCode
      : typeof entry.code === 'string' && entry !== value
        ? entry.code
        : undefined;
  const ok =
    typeof value.ok === 'boolean'
      ? value.ok
      : verdict.toLowerCase() === expect && (expectedCode === undefined || expectedCode === code);
  const mode = typeof value.mode === 'string' ? value.mode : isRecord(value.live) ? 'live' : undefined;
  const cloud = typeof value.cloud === 'string' ? value.cloud : base.cloud;
  return {
    plan: base.plan,
    from,
    to,
    protocol: String(entry.protocol ?? 'tcp'),
    port,
    expect,
    verdict,
    ok,
    at: base.at,
    source: base.source,
    ...(cloud !== undefined ? { cloud } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(mode !== undefined ? { mode } : {}),
  };
}

function rowsOf(
  values: unknown,
  base: Pick<VerificationRow, 'plan' | 'at' | 'source'> & { cloud?: string | undefined },
): VerificationRow[] {
  if (!Array.isArray(values)) return [];
  return values.map((v) => toRow(v, base)).filter((r): r is VerificationRow => r !== undefined);
}

/** The rows a bus event carries (Connectivity* and ProvisioningSucceeded), with its plan and time. */
export function candidateOfEvent(event: BusEvent): Candidate | undefined {
  const type = event['detail-type'];
  const detail = event.detail;
  if (!detail || typeof detail.plan !== 'string') return undefined;
  if (type !== 'ConnectivityVerified' && type !== 'ConnectivityLost' && type !== 'ProvisioningSucceeded')
    return undefined;
  const at = timeOf(event.time);
  if (Number.isNaN(at)) return undefined;
  const executionArn = typeof detail.executionArn === 'string' ? detail.executionArn : undefined;
  const source: VerificationSource = {
    kind: 'event',
    id: event.id ?? `${type}@${event.time}`,
    label: `${type} event`,
    ...(executionArn ? { executionArn } : {}),
  };
  const cloud = typeof detail.cloud === 'string' ? detail.cloud : undefined;
  const values =
    type === 'ProvisioningSucceeded' ? detail.verify : (detail.results ?? detail.entries ?? detail.rows);
  return { plan: detail.plan, at, rows: rowsOf(values, { plan: detail.plan, at, source, cloud }) };
}

/** The rows a closed execution's output carries: a provisioning's `verify`, a verify run's `plans`. */
export function candidatesOfExecution(execution: ExecutionRecord): Candidate[] {
  if (execution.status !== 'SUCCEEDED' || !isRecord(execution.output)) return [];
  const at = timeOf(execution.stopDate ?? execution.startDate);
  if (Number.isNaN(at)) return [];
  const output = execution.output;
  const source: VerificationSource = {
    kind: 'execution',
    id: execution.executionArn,
    label: `${execution.workflow ?? 'execution'} ${execution.name}`,
    executionArn: execution.executionArn,
  };
  if (typeof output.plan === 'string' && Array.isArray(output.verify)) {
    const cloud = typeof output.cloud === 'string' ? output.cloud : undefined;
    return [{ plan: output.plan, at, rows: rowsOf(output.verify, { plan: output.plan, at, source, cloud }) }];
  }
  if (!Array.isArray(output.plans)) return [];
  return output.plans.flatMap((p): Candidate[] => {
    if (!isRecord(p) || typeof p.plan !== 'string' || !Array.isArray(p.entries)) return [];
    const cloud = typeof p.cloud === 'string' ? p.cloud : undefined;
    return [{ plan: p.plan, at, rows: rowsOf(p.entries, { plan: p.plan, at, source, cloud }) }];
  });
}

/**
 * The last verification of each plan that exists, as rows (plans in name order, rows in entry order).
 * A source that carries no row for a plan (an empty `verify`) still counts as its latest verification.
 */
export function latestVerification(
  events: readonly BusEvent[],
  executions: readonly ExecutionRecord[],
  existingPlans: ReadonlySet<string>,
): VerificationRow[] {
  const latest = new Map<string, Candidate>();
  const consider = (candidate: Candidate | undefined) => {
    if (!candidate || !existingPlans.has(candidate.plan)) return;
    const previous = latest.get(candidate.plan);
    if (!previous || candidate.at > previous.at) latest.set(candidate.plan, candidate);
  };
  for (const event of events) consider(candidateOfEvent(event));
  for (const execution of executions) for (const c of candidatesOfExecution(execution)) consider(c);
  return [...latest.keys()].sort().flatMap((plan) => latest.get(plan)!.rows);
}

/** The drift that stands for each existing plan (see the file's comment for when it stops standing). */
export function standingDrift(
  events: readonly BusEvent[],
  executions: readonly ExecutionRecord[],
  existingPlans: ReadonlySet<string>,
): DriftReport[] {
  const reports = new Map<string, DriftReport>();
  for (const event of events) {
    if (event['detail-type'] !== 'DriftDetected' || event.source !== 'natflow') continue;
    const detail = event.detail;
    if (!detail || typeof detail.plan !== 'string' || !Array.isArray(detail.drift)) continue;
    const at = timeOf(event.time);
    if (Number.isNaN(at) || !existingPlans.has(detail.plan)) continue;
    const previous = reports.get(detail.plan);
    if (previous && previous.at >= at) continue;
    const drift = detail.drift.filter(
      (d): d is DriftItem =>
        isRecord(d) &&
        typeof d.kind === 'string' &&
        typeof d.name === 'string' &&
        (d.change === 'gone' || d.change === 'changed'),
    );
    const executionArn = typeof detail.executionArn === 'string' ? detail.executionArn : undefined;
    reports.set(detail.plan, {
      plan: detail.plan,
      at,
      drift,
      source: {
        kind: 'event',
        id: event.id ?? `DriftDetected@${event.time}`,
        label: 'DriftDetected event',
        ...(executionArn ? { executionArn } : {}),
      },
      ...(typeof detail.cloud === 'string' ? { cloud: detail.cloud } : {}),
    });
  }
  const connectivity = events.filter(
    (e) =>
      (e['detail-type'] === 'ConnectivityVerified' || e['detail-type'] === 'ConnectivityLost') &&
      typeof e.detail?.plan === 'string',
  );
  return [...reports.values()]
    .filter((report) => {
      // The run that found it: the drift's own executionArn, else the verify event nearest in time.
      const run =
        report.source.executionArn ??
        connectivity
          .filter((e) => e.detail?.plan === report.plan)
          .sort((a, b) => Math.abs(timeOf(a.time) - report.at) - Math.abs(timeOf(b.time) - report.at))[0]
          ?.detail?.executionArn;
      const laterRun = connectivity.some(
        (e) =>
          e.detail?.plan === report.plan &&
          timeOf(e.time) > report.at &&
          (run === undefined || e.detail?.executionArn !== run),
      );
      const reprovisioned = executions.some(
        (x) =>
          x.status === 'SUCCEEDED' &&
          isRecord(x.output) &&
          x.output.plan === report.plan &&
          timeOf(x.stopDate ?? x.startDate) > report.at,
      );
      const repairedEvent = events.some(
        (e) =>
          e['detail-type'] === 'ProvisioningSucceeded' &&
          e.detail?.plan === report.plan &&
          timeOf(e.time) > report.at,
      );
      return report.drift.length > 0 && !laterRun && !reprovisioned && !repairedEvent;
    })
    .sort((a, b) => a.plan.localeCompare(b.plan));
}
