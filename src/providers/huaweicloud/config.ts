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
 * | `HUAWEICLOUD_POLL_INTERVAL_SECONDS` / `_POLL_MAX_ATTEMPTS` | the workflow's readiness polling bound |
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
  /** Seconds between two readiness checks (the workflow's Wait; default 5 s, as the real cloud needs). */
  pollIntervalSeconds: number;
  /** Checks before a resource that is still not ready fails its step with CLOUD_TIMEOUT (default 120). */
  pollMaxAttempts: number;
  /** The Secrets Manager secret to read the credentials from (on AWS). */
  secretArn: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

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
    pollIntervalSeconds: positive(env, 'HUAWEICLOUD_POLL_INTERVAL_SECONDS', 5),
    pollMaxAttempts: positive(env, 'HUAWEICLOUD_POLL_MAX_ATTEMPTS', 120),
    secretArn: env.HUAWEICLOUD_SECRET_ARN || undefined,
  };
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
