/**
 * How long the local Huawei Cloud takes, per kind of resource (`NATFLOW_HWC_SETTLE_MS`, docs/huaweicloud-api.md): a
 * number (every kind takes that long) or a JSON object of milliseconds per kind (missing kinds take 0),
 * for creation and deletion alike.
 *
 * - Creation: a kind whose API documents an in-between state shows it until its settle time has passed
 *   since its creation (VPC `CREATING`, subnet `UNKNOWN`, ECS `BUILD` / job `RUNNING`, private NAT
 *   `INACTIVE`, a member of a monitored pool `INITIAL`), and cannot be used as a parent meanwhile; a kind
 *   with none (an ELB v3 load balancer, listener, pool, a member of an unmonitored pool) answers its
 *   create only once settled (`waitSettle`: the response waits, the event loop does not).
 * - Deletion (`Deletions`): the request is checked and answered at once; the resource stays, listed with
 *   its last status (a load balancer `PENDING_DELETE`), and goes once its settle time has passed.
 */

export const SETTLE_KINDS = [
  'vpc',
  'subnet',
  'server',
  'loadbalancer',
  'listener',
  'pool',
  'member',
  'gateway',
  'transit_ip',
  'dnat_rule',
  'snat_rule',
] as const;

export type SettleKind = (typeof SETTLE_KINDS)[number];
export type SettleTimes = Readonly<Record<SettleKind, number>>;
/** What a caller may give: one number for every kind, or some kinds (the others take 0). */
export type SettleSpec = number | Partial<Record<SettleKind, number>>;

/** The settle time of each kind from a number or a partial object (validated: finite, ≥ 0). */
export function settleTimes(spec: SettleSpec | undefined): SettleTimes {
  const times = Object.fromEntries(SETTLE_KINDS.map((k) => [k, 0])) as Record<SettleKind, number>;
  if (spec === undefined) return times;
  if (typeof spec === 'number') {
    if (!isMillis(spec))
      throw new RangeError(`a settle time must be a number of milliseconds ≥ 0, not ${spec}`);
    for (const kind of SETTLE_KINDS) times[kind] = spec;
    return times;
  }
  for (const [kind, value] of Object.entries(spec)) {
    if (!(SETTLE_KINDS as readonly string[]).includes(kind))
      throw new RangeError(`"${kind}" is no kind of resource (${SETTLE_KINDS.join(', ')})`);
    if (value === undefined) continue;
    if (!isMillis(value))
      throw new RangeError(`"${kind}" must be a number of milliseconds ≥ 0, not ${JSON.stringify(value)}`);
    times[kind as SettleKind] = value;
  }
  return times;
}

/**
 * `NATFLOW_HWC_SETTLE_MS` as the environment gives it: unset or empty → 0 for every kind; a number; or a
 * JSON object per kind. Anything else is refused with a message naming the variable (never a silent 0).
 *
 * @example parseSettleEnv('{"vpc": 2000, "server": 60000}').server // 60000
 */
export function parseSettleEnv(text: string | undefined): SettleTimes {
  const raw = (text ?? '').trim();
  if (raw === '') return settleTimes(undefined);
  const refuse = (why: string) =>
    new Error(
      `NATFLOW_HWC_SETTLE_MS must be a number of milliseconds or a JSON object of milliseconds per kind (${SETTLE_KINDS.join(', ')}), e.g. 2000 or {"vpc": 2000, "server": 60000}; got ${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)}: ${why}`,
    );
  if (raw.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      throw refuse(`not JSON (${(error as Error).message})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw refuse('not an object');
    try {
      return settleTimes(parsed as Partial<Record<SettleKind, number>>);
    } catch (error) {
      throw refuse((error as Error).message);
    }
  }
  if (!/^\d+(\.\d+)?$/.test(raw)) throw refuse('not a number ≥ 0');
  return settleTimes(Number(raw));
}

function isMillis(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** The client went away while its create waited: nothing was created, nothing is answered. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
}

/**
 * Waits `ms` on a timer (the event loop keeps serving), or rejects with ClientGoneError as soon as
 * `signal` aborts (the client disconnected): the caller then creates nothing.
 */
export function waitSettle(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new ClientGoneError('the client disconnected'));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ClientGoneError('the client disconnected while its create was settling'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface PendingDeletion {
  key: string;
  due: number;
  commit: () => Promise<void>;
}

/**
 * Deletions that settle later: `schedule` records what to remove and when; `reap` removes what is due
 * (run before every request, and by a timer at the due time), one at a time; `flush` removes everything
 * still pending (closing: the cloud finishes what it was asked). A commit that fails (something raced
 * in) leaves the resource in place, as a failed deletion does, and says why in a warning.
 */
export class Deletions {
  readonly #pending = new Map<string, PendingDeletion>();
  readonly #now: () => number;
  readonly #after: () => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  /** `after` runs once a round removed something (the data plane's sync). */
  constructor(now: () => number, after: () => Promise<void>) {
    this.#now = now;
    this.#after = after;
  }

  /** True while `key` (a natflow id, a member id) is being deleted. */
  has(key: string): boolean {
    return this.#pending.has(key);
  }

  /** When `key`'s deletion settles (undefined when it is not being deleted). */
  dueOf(key: string): number | undefined {
    return this.#pending.get(key)?.due;
  }

  schedule(key: string, delayMs: number, commit: () => Promise<void>): void {
    if (this.#pending.has(key)) return;
    this.#pending.set(key, { key, due: this.#now() + delayMs, commit });
    this.#arm();
  }

  /** Removes what is due now. */
  reap(): Promise<void> {
    return this.#run((entry) => entry.due <= this.#now());
  }

  /** Removes everything still pending, due or not. */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#run(() => true);
  }

  #run(pick: (entry: PendingDeletion) => boolean): Promise<void> {
    const round = this.#running.then(async () => {
      const due = [...this.#pending.values()].filter(pick).sort((a, b) => a.due - b.due);
      if (due.length === 0) return;
      for (const entry of due) {
        this.#pending.delete(entry.key);
        try {
          await entry.commit();
        } catch (error) {
          process.emitWarning(
            `natflow Huawei API: the deletion of ${entry.key} did not settle: ${(error as Error)?.message ?? String(error)}`,
          );
        }
      }
      await this.#after();
    });
    this.#running = round.catch(() => undefined);
    return round;
  }

  /** A timer at the earliest due time (re-armed while something is pending; never keeps the process up). */
  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = Math.min(...[...this.#pending.values()].map((e) => e.due));
    if (!Number.isFinite(next)) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        void this.reap().finally(() => {
          if (this.#pending.size > 0 && !this.#timer) this.#arm();
        });
      },
      Math.max(5, next - this.#now()),
    );
    this.#timer.unref();
  }
}
