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
    expect(s.deadlines).toEqual({
      vpc: 120,
      subnet: 120,
      server: 900,
      loadbalancer: 600,
      gateway: 600,
      transit_ip: 300,
      rule: 300,
    });
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

  it.each([
    { name: 'a number: every kind', value: '30', expected: { vpc: 30, server: 30, rule: 30 } },
    {
      name: 'a JSON object: those kinds, the others their default',
      value: '{"server": 1800, "rule": 60}',
      expected: { vpc: 120, server: 1800, rule: 60 },
    },
  ])('reads HUAWEICLOUD_DEADLINE_SECONDS as $name', ({ value, expected }) => {
    const s = readSettings({ HUAWEICLOUD_REGION: 'r', HUAWEICLOUD_DEADLINE_SECONDS: value });
    expect(s.deadlines).toMatchObject(expected);
  });

  it('keeps HUAWEICLOUD_POLL_INTERVAL_SECONDS × _POLL_MAX_ATTEMPTS working: one deadline for every kind', () => {
    const s = readSettings({
      HUAWEICLOUD_REGION: 'r',
      HUAWEICLOUD_POLL_INTERVAL_SECONDS: '2',
      HUAWEICLOUD_POLL_MAX_ATTEMPTS: '30',
    });
    expect(new Set(Object.values(s.deadlines))).toEqual(new Set([60]));
    // The newer variable wins over the older pair.
    expect(
      readSettings({
        HUAWEICLOUD_REGION: 'r',
        HUAWEICLOUD_POLL_MAX_ATTEMPTS: '30',
        HUAWEICLOUD_DEADLINE_SECONDS: '7',
      }).deadlines.server,
    ).toBe(7);
  });

  it.each(['0', '-5', 'soon', '[1]', '{"ecs": 10}', '{"server": "10"}', '{broken'])(
    'refuses HUAWEICLOUD_DEADLINE_SECONDS=%s, naming the variable',
    (value) => {
      expect(() => readSettings({ HUAWEICLOUD_REGION: 'r', HUAWEICLOUD_DEADLINE_SECONDS: value })).toThrow(
        /HUAWEICLOUD_DEADLINE_SECONDS must be/,
      );
    },
  );
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
