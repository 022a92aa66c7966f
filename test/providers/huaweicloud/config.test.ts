import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialsFromEnv, readSettings } from '../../../src/providers/huaweicloud/config.ts';
import {
  forgetCachedCredentials,
  resolveCredentials,
} from '../../../src/providers/huaweicloud/credentials.ts';

describe('Function: readSettings', () => {
  it('derives every endpoint from the region', () => {
    const s = readSettings({ HUAWEICLOUD_REGION: 'cn-north-4' });
    expect(s.endpoints).toEqual({
      vpc: 'https://vpc.cn-north-4.myhuaweicloud.com',
      ecs: 'https://ecs.cn-north-4.myhuaweicloud.com',
      elb: 'https://elb.cn-north-4.myhuaweicloud.com',
      nat: 'https://nat.cn-north-4.myhuaweicloud.com',
    });
    expect(s.pollIntervalSeconds).toBe(5);
  });

  it('one endpoint overrides the region; a per-service one wins over both', () => {
    const s = readSettings({
      HUAWEICLOUD_REGION: 'cn-north-4',
      HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:3000/',
      HUAWEICLOUD_ENDPOINT_NAT: 'http://127.0.0.1:4000',
    });
    expect(s.endpoints.vpc).toBe('http://127.0.0.1:3000');
    expect(s.endpoints.nat).toBe('http://127.0.0.1:4000');
  });

  it('without region or endpoint names the variables to set', () => {
    expect(() => readSettings({})).toThrow(/HUAWEICLOUD_REGION.*HUAWEICLOUD_ENDPOINT/);
  });

  it('refuses a polling bound that is not a positive integer', () => {
    expect(() => readSettings({ HUAWEICLOUD_REGION: 'r', HUAWEICLOUD_POLL_MAX_ATTEMPTS: '0' })).toThrow(
      /HUAWEICLOUD_POLL_MAX_ATTEMPTS=0/,
    );
  });
});

describe('Function: credentialsFromEnv', () => {
  it('reads the SDK variables, with the security token when set', () => {
    expect(
      credentialsFromEnv({
        HUAWEICLOUD_SDK_AK: 'AK',
        HUAWEICLOUD_SDK_SK: 'SK',
        HUAWEICLOUD_SDK_PROJECT_ID: 'P',
        HUAWEICLOUD_SDK_SECURITY_TOKEN: 'T',
      }),
    ).toEqual({ ak: 'AK', sk: 'SK', projectId: 'P', securityToken: 'T' });
  });

  it('names every missing variable', () => {
    expect(() => credentialsFromEnv({ HUAWEICLOUD_SDK_AK: 'AK' })).toThrow(
      /HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID/,
    );
  });
});

describe('Function: resolveCredentials (Secrets Manager)', () => {
  const secrets = mockClient(SecretsManagerClient);
  const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:natflow-hwc-AbCdEf';

  afterEach(() => {
    secrets.reset();
    forgetCachedCredentials();
  });

  it('reads {ak, sk, projectId} from the secret once per container', async () => {
    // Prepare
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN })
      .resolves({ SecretString: JSON.stringify({ ak: 'AK1', sk: 'SK1', projectId: 'P1' }) });
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    const env = { HUAWEICLOUD_SECRET_ARN: ARN, HUAWEICLOUD_SDK_AK: 'ignored' };

    // Act
    const first = await resolveCredentials(env, client);
    const second = await resolveCredentials(env, client);

    // Assess
    expect(first).toEqual({ ak: 'AK1', sk: 'SK1', projectId: 'P1' });
    expect(second).toBe(first);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('a malformed secret is CLOUD_AUTH_FAILED naming the secret, and is not cached', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{"ak":"x"}' })
      .resolves({
        SecretString: JSON.stringify({ ak: 'AK2', sk: 'SK2', projectId: 'P2' }),
      });
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    const env = { HUAWEICLOUD_SECRET_ARN: ARN };
    await expect(resolveCredentials(env, client)).rejects.toMatchObject({
      name: 'CLOUD_AUTH_FAILED',
      message: expect.stringContaining(ARN),
    });
    await expect(resolveCredentials(env, client)).resolves.toEqual({ ak: 'AK2', sk: 'SK2', projectId: 'P2' });
  });

  it('an unreadable secret (AccessDenied) is CLOUD_AUTH_FAILED', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await expect(
      resolveCredentials({ HUAWEICLOUD_SECRET_ARN: ARN }, new SecretsManagerClient({ region: 'eu-west-1' })),
    ).rejects.toMatchObject({
      name: 'CLOUD_AUTH_FAILED',
      message: expect.stringContaining('not authorized'),
    });
  });
});
