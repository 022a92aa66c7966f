/**
 * Where the provider's AK/SK come from (docs/clouds.md): on AWS a Secrets Manager secret named by
 * `HUAWEICLOUD_SECRET_ARN` holding `{"ak": "…", "sk": "…", "projectId": "…"}` (optionally
 * `securityToken`), read once per container (Lambda reuses it) and cached; elsewhere the SDK's own
 * environment variables. The secret's JSON is validated with zod: a malformed secret is a clear
 * CLOUD_AUTH_FAILED naming the secret, never a half-signed request.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { CloudAuthFailedError } from '../../cloud/errors.ts';
import { credentialsFromEnv, type HuaweiCredentials } from './config.ts';

const SecretSchema = z.object({
  ak: z.string().min(1),
  sk: z.string().min(1),
  projectId: z.string().min(1),
  securityToken: z.string().min(1).optional(),
});

const cache = new Map<string, Promise<HuaweiCredentials>>();

/** Forgets cached secrets (tests; a rotated secret after a CLOUD_AUTH_FAILED). */
export function forgetCachedCredentials(): void {
  cache.clear();
}

/** Reads and validates the secret; rejects with CLOUD_AUTH_FAILED when it is unreadable or malformed. */
export async function credentialsFromSecret(
  secretArn: string,
  client: Pick<SecretsManagerClient, 'send'> = new SecretsManagerClient({}),
): Promise<HuaweiCredentials> {
  let text: string | undefined;
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    text = out.SecretString;
  } catch (error) {
    throw new CloudAuthFailedError(
      `cannot read the Huawei Cloud credentials secret ${secretArn}: ${(error as Error).message}`,
      { cause: error, details: { secretArn } },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text ?? '');
  } catch {
    json = undefined;
  }
  const parsed = SecretSchema.safeParse(json);
  if (!parsed.success) {
    throw new CloudAuthFailedError(
      `the secret ${secretArn} is not {"ak": "…", "sk": "…", "projectId": "…"} (a JSON SecretString): ${parsed.error.issues
        .map((i) => `${i.path.join('.') || '(root)'} ${i.message}`)
        .join('; ')}`,
      { details: { secretArn } },
    );
  }
  const { ak, sk, projectId, securityToken } = parsed.data;
  return { ak, sk, projectId, ...(securityToken ? { securityToken } : {}) };
}

/**
 * The credentials for this container: the secret's when `HUAWEICLOUD_SECRET_ARN` is set (cached; a
 * failed read is not cached, so the next invocation tries again), the environment's otherwise.
 */
export function resolveCredentials(
  env: Readonly<Record<string, string | undefined>> = process.env,
  client?: Pick<SecretsManagerClient, 'send'>,
): Promise<HuaweiCredentials> {
  const arn = env.HUAWEICLOUD_SECRET_ARN;
  if (!arn) return Promise.resolve().then(() => credentialsFromEnv(env));
  let pending = cache.get(arn);
  if (!pending) {
    pending = credentialsFromSecret(arn, client);
    cache.set(arn, pending);
    pending.catch(() => cache.delete(arn));
  }
  return pending;
}
