/**
 * The `huaweicloud` provider's settings (docs/clouds.md), read once from the environment with the official
 * SDKs' names, so a shell already set up for `hcloud` or the Python SDK works unchanged:
 *
 * | variable | meaning |
 * | --- | --- |
 * | `HUAWEICLOUD_SDK_AK` / `_SK` / `_PROJECT_ID` | AK/SK credentials and the project (region-scoped) |
 * | `HUAWEICLOUD_SDK_SECURITY_TOKEN` | temporary credentials (STS): sent as `X-Security-Token` |
 * | `HUAWEICLOUD_REGION` | `cn-north-4`, … : endpoints `https://{service}.{region}.myhuaweicloud.com` |
 * | `HUAWEICLOUD_ENDPOINT` | one base URL for every service (natflow's local Huawei API, docs/huaweicloud-api.md) |
 * | `HUAWEICLOUD_ENDPOINT_VPC` / `_ECS` / `_ELB` / `_NAT` | one service's URL; wins over the one above |
 * | `HUAWEICLOUD_ENTERPRISE_PROJECT_ID` | set on everything natflow creates |
 * | `HUAWEICLOUD_DEFAULT_IMAGE` / `_FLAVOR` | a created server's image and flavor when the plan names none |
 * | `HUAWEICLOUD_DEADLINE_SECONDS` | how long a resource may take to be ready, per kind (`deadlinesOf`) |
 * | `HUAWEICLOUD_POLL_INTERVAL_SECONDS` / `_POLL_MAX_ATTEMPTS` | older: their product, one deadline for every kind |
 * | `HUAWEICLOUD_SECRET_ARN` | on AWS: the Secrets Manager secret holding `{ak, sk, projectId}` |
 *
 * Credentials are resolved separately (`credentials.ts`): on AWS they come from the secret, never from
 * plain environment variables.
 */
import { ValidationFailedError } from '../../cloud/errors.ts';

export const SERVICES = ['vpc', 'ecs', 'elb', 'nat'] as const;
export type Service = (typeof SERVICES)[number];

export interface HuaweiCredentials {
  ak: string;
  sk: string;
  projectId: string;
  securityToken?: string;
}

export interface HuaweiSettings {
  region: string | undefined;
  /** The base URL of each service, without a trailing slash. */
  endpoints: Readonly<Record<Service, string>>;
  enterpriseProjectId: string | undefined;
  defaultImage: string | undefined;
  defaultFlavor: string | undefined;
  /**
   * Seconds a resource of each kind may take to be ready, from its creation, before the step waiting for
   * it fails CLOUD_TIMEOUT (docs/real-cloud.md#time). The polling itself is the workflow's (1 s, ×1.5, up
   * to 10 s).
   */
  deadlines: Readonly<Record<DeadlineKind, number>>;
  /** The Secrets Manager secret to read the credentials from (on AWS). */
  secretArn: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The kinds a deadline is set for (`HUAWEICLOUD_DEADLINE_SECONDS`'s keys). */
export const DEADLINE_KINDS = [
  'vpc',
  'subnet',
  'server',
  'loadbalancer',
  'gateway',
  'transit_ip',
  'rule',
] as const;
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];

/**
 * The default deadlines (seconds), as long as a real account may take and no longer: a VPC or subnet in
 * seconds (2 min), an ECS in minutes (15 min: Terraform's huaweicloud_compute_instance default is 30, but
 * a boot past 15 minutes is a failure worth seeing), a load balancer or private NAT gateway in tens of
 * seconds (10 min), a transit IP or rule at once (5 min).
 */
export const DEFAULT_DEADLINES: Readonly<Record<DeadlineKind, number>> = {
  vpc: 120,
  subnet: 120,
  server: 900,
  loadbalancer: 600,
  gateway: 600,
  transit_ip: 300,
  rule: 300,
};

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function positive(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new ValidationFailedError(`${name}=${raw} is not a positive integer`, { path: name });
  }
  return n;
}

/**
 * The settings from an environment. A service's endpoint comes from `HUAWEICLOUD_ENDPOINT_<SERVICE>`,
 * then `HUAWEICLOUD_ENDPOINT`, then the region; with none of them the provider cannot be used and this
 * throws VALIDATION_FAILED naming the variables.
 *
 * @example readSettings({ HUAWEICLOUD_REGION: 'cn-north-4' }).endpoints.nat
 *   // 'https://nat.cn-north-4.myhuaweicloud.com'
 */
export function readSettings(env: Env = process.env): HuaweiSettings {
  const region = env.HUAWEICLOUD_REGION || undefined;
  const common = env.HUAWEICLOUD_ENDPOINT || undefined;
  const endpointOf = (service: Service): string => {
    const own = env[`HUAWEICLOUD_ENDPOINT_${service.toUpperCase()}`];
    if (own) return trimSlash(own);
    if (common) return trimSlash(common);
    if (region) return `https://${service}.${region}.myhuaweicloud.com`;
    throw new ValidationFailedError(
      `no endpoint for Huawei Cloud's ${service.toUpperCase()} service: set HUAWEICLOUD_REGION (e.g. cn-north-4), HUAWEICLOUD_ENDPOINT or HUAWEICLOUD_ENDPOINT_${service.toUpperCase()}`,
      { path: 'HUAWEICLOUD_REGION' },
    );
  };
  return {
    region,
    endpoints: {
      vpc: endpointOf('vpc'),
      ecs: endpointOf('ecs'),
      elb: endpointOf('elb'),
      nat: endpointOf('nat'),
    },
    enterpriseProjectId: env.HUAWEICLOUD_ENTERPRISE_PROJECT_ID || undefined,
    defaultImage: env.HUAWEICLOUD_DEFAULT_IMAGE || undefined,
    defaultFlavor: env.HUAWEICLOUD_DEFAULT_FLAVOR || undefined,
    deadlines: deadlinesOf(env),
    secretArn: env.HUAWEICLOUD_SECRET_ARN || undefined,
  };
}

/**
 * The per-kind deadlines: `HUAWEICLOUD_DEADLINE_SECONDS` as a number (every kind) or a JSON object of
 * some kinds (the others keep their default); else, when either older variable is set,
 * `HUAWEICLOUD_POLL_INTERVAL_SECONDS × HUAWEICLOUD_POLL_MAX_ATTEMPTS` (5 × 120 by default) for every kind,
 * as the bound they set before; else `DEFAULT_DEADLINES`. Anything malformed is VALIDATION_FAILED naming
 * the variable.
 *
 * @example deadlinesOf({ HUAWEICLOUD_DEADLINE_SECONDS: '{"server": 1800}' }).server // 1800
 */
export function deadlinesOf(env: Env): Readonly<Record<DeadlineKind, number>> {
  const raw = (env.HUAWEICLOUD_DEADLINE_SECONDS ?? '').trim();
  if (raw === '') {
    if (!env.HUAWEICLOUD_POLL_INTERVAL_SECONDS && !env.HUAWEICLOUD_POLL_MAX_ATTEMPTS)
      return DEFAULT_DEADLINES;
    const bound =
      positive(env, 'HUAWEICLOUD_POLL_INTERVAL_SECONDS', 5) *
      positive(env, 'HUAWEICLOUD_POLL_MAX_ATTEMPTS', 120);
    return Object.fromEntries(DEADLINE_KINDS.map((kind) => [kind, bound])) as Record<DeadlineKind, number>;
  }
  const refuse = (why: string) =>
    new ValidationFailedError(
      `HUAWEICLOUD_DEADLINE_SECONDS must be a number of seconds or a JSON object of seconds per kind (${DEADLINE_KINDS.join(', ')}), e.g. 600 or {"server": 1800}; got ${raw}: ${why}`,
      { path: 'HUAWEICLOUD_DEADLINE_SECONDS' },
    );
  const seconds = (value: unknown, what: string): number => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      throw refuse(`${what} is not a number of seconds > 0`);
    return value;
  };
  if (!raw.startsWith('{')) {
    const every = seconds(Number(raw), raw);
    return Object.fromEntries(DEADLINE_KINDS.map((kind) => [kind, every])) as Record<DeadlineKind, number>;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw refuse(`not JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw refuse('not an object');
  const deadlines: Record<DeadlineKind, number> = { ...DEFAULT_DEADLINES };
  for (const [kind, value] of Object.entries(parsed)) {
    if (!(DEADLINE_KINDS as readonly string[]).includes(kind)) throw refuse(`"${kind}" is no kind`);
    deadlines[kind as DeadlineKind] = seconds(value, `"${kind}"`);
  }
  return deadlines;
}

/** Credentials from the SDK's environment variables; VALIDATION_FAILED naming what is missing. */
export function credentialsFromEnv(env: Env = process.env): HuaweiCredentials {
  const missing = ['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK', 'HUAWEICLOUD_SDK_PROJECT_ID'].filter(
    (n) => !env[n],
  );
  if (missing.length > 0) {
    throw new ValidationFailedError(
      `Huawei Cloud credentials missing: set ${missing.join(', ')} (or HUAWEICLOUD_SECRET_ARN on AWS)`,
      { path: missing[0] as string },
    );
  }
  return {
    ak: env.HUAWEICLOUD_SDK_AK as string,
    sk: env.HUAWEICLOUD_SDK_SK as string,
    projectId: env.HUAWEICLOUD_SDK_PROJECT_ID as string,
    ...(env.HUAWEICLOUD_SDK_SECURITY_TOKEN ? { securityToken: env.HUAWEICLOUD_SDK_SECURITY_TOKEN } : {}),
  };
}
