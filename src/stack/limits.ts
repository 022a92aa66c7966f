/**
 * The bounds of a local stack, each settable from the environment (docs/http-api.md, docs/cli.md):
 *
 * | setting                        | default | bounds                                                     |
 * | ------------------------------ | ------- | ---------------------------------------------------------- |
 * | `NATFLOW_MAX_STREAMS`          | 100     | event streams open at once (the console's live feed)       |
 * | `NATFLOW_MAX_REQUESTS`         | 256     | other requests in flight at once                           |
 * | `NATFLOW_RETENTION_DAYS`       | 30      | how long a closed execution and its history are kept       |
 * | `NATFLOW_RETENTION_EXECUTIONS` | 500     | how many executions are kept at most                       |
 *
 * Beyond a cap a request is answered 503 `OVERLOADED` with `Retry-After`; retention's exceptions are in
 * retention.ts. Why these defaults: a console tab holds one stream, so 100 is far more than one person
 * opens while each history event is written to every stream (a thousand streams slowed a provisioning
 * thirtyfold); 256 requests is five times the heaviest load the soak drives (50 provisionings at once,
 * each polled); 30 days and 500 executions keep weeks of a person's work (about 150 KB an execution)
 * in well under 100 MB.
 */
import { ValidationFailedError } from '../cloud/errors.ts';

export interface StackLimits {
  /** Event streams open at once. */
  maxStreams: number;
  /** Requests in flight at once, streams apart. */
  maxRequests: number;
  /** Days a closed execution is kept (fractions allowed). */
  retentionDays: number;
  /** Executions kept at most (running ones and the exceptions of retention.ts may exceed it). */
  retentionExecutions: number;
}

export const DEFAULT_LIMITS: Readonly<StackLimits> = {
  maxStreams: 100,
  maxRequests: 256,
  retentionDays: 30,
  retentionExecutions: 500,
};

const SETTINGS = [
  { key: 'maxStreams', env: 'NATFLOW_MAX_STREAMS', integer: true, min: 1 },
  { key: 'maxRequests', env: 'NATFLOW_MAX_REQUESTS', integer: true, min: 1 },
  { key: 'retentionDays', env: 'NATFLOW_RETENTION_DAYS', integer: false, min: 0 },
  { key: 'retentionExecutions', env: 'NATFLOW_RETENTION_EXECUTIONS', integer: true, min: 0 },
] as const;

/** The limits the environment sets, the defaults for the rest; a value that is not one is an error. */
export function limitsFromEnv(env: Readonly<Record<string, string | undefined>>): StackLimits {
  const limits: StackLimits = { ...DEFAULT_LIMITS };
  for (const setting of SETTINGS) {
    const text = env[setting.env]?.trim();
    if (text === undefined || text === '') continue;
    const value = Number(text);
    const valid =
      /^[0-9]+(\.[0-9]+)?$/.test(text) &&
      Number.isFinite(value) &&
      value >= setting.min &&
      (!setting.integer || Number.isInteger(value));
    if (!valid) {
      throw new ValidationFailedError(
        `${setting.env} must be ${setting.integer ? 'an integer' : 'a number'} ≥ ${setting.min}, not ${JSON.stringify(text)}`,
        { path: setting.env },
      );
    }
    limits[setting.key] = value;
  }
  return limits;
}
