/**
 * The provider registry (src/providers/registry.ts): the one list of clouds. Every name derives from its
 * entries, each entry has its folder (and each folder its entry), loading the registry loads no provider
 * and opening one loads only its own code, and what an entry says a provider can do is what the opened
 * provider has. The places that must follow the registry (the plan's `cloud:`, the CloudFormation
 * parameter, `natflow import`) are checked against it here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import importCommand from '../../src/cli/commands/import.ts';
import { ControlPlane } from '../../src/cloud/control-plane.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import {
  DEFAULT_AK,
  DEFAULT_PROJECT_ID,
  DEFAULT_SK,
  startHuaweiCloudServer,
} from '../../src/local-huaweicloud/index.ts';
import { PlanSchema } from '../../src/plan/plan.ts';
import {
  CLOUD_CHOICES,
  CLOUD_NAMES,
  type CloudName,
  can,
  cloudOfResource,
  cloudsThatCan,
  DEFAULT_CLOUD,
  isCloudName,
  openCloud,
  PROVIDERS,
  parseCloudName,
  providerOf,
  recordedCloud,
  selectCloud,
} from '../../src/providers/registry.ts';

const ROOT = join(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const run = promisify(execFile);

/** Opens a provider without reaching any cloud (the Huawei one only reads its settings). */
function openOffline(name: CloudName) {
  return openCloud(name, {
    store: new MemoryStore(),
    env: {
      HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:1',
      HUAWEICLOUD_SDK_AK: 'ak',
      HUAWEICLOUD_SDK_SK: 'sk',
      HUAWEICLOUD_SDK_PROJECT_ID: 'project',
    },
  });
}

describe('Module: registry', () => {
  describe('Constant: CLOUD_NAMES', () => {
    it("is the entries' names, in order, each once, the default first", () => {
      expect(CLOUD_NAMES).toEqual(PROVIDERS.map((p) => p.name));
      expect(new Set(CLOUD_NAMES).size).toBe(CLOUD_NAMES.length);
      expect(DEFAULT_CLOUD).toBe(CLOUD_NAMES[0]);
      expect(DEFAULT_CLOUD).toBe('virtual');
      expect(CLOUD_CHOICES).toBe(CLOUD_NAMES.join('|'));
    });

    it('names exactly the folders under src/providers/, each with an index.ts', () => {
      const folders = readdirSync(join(ROOT, 'src/providers'), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name);
      expect(folders.sort()).toEqual([...CLOUD_NAMES].sort());
      for (const name of CLOUD_NAMES)
        expect(readdirSync(join(ROOT, 'src/providers', name)), name).toContain('index.ts');
    });

    it("is the plan's `cloud:` choices, and its error lists them", () => {
      for (const name of CLOUD_NAMES)
        expect(PlanSchema.safeParse({ name: 'p', cloud: name }).success).toBe(true);
      const refused = PlanSchema.safeParse({ name: 'p', cloud: 'nimbus' });
      expect(refused.success).toBe(false);
      const message = refused.error?.issues[0]?.message ?? '';
      for (const name of CLOUD_NAMES) expect(message).toContain(name);
    });

    it("is the CloudFormation parameter NatflowCloud's allowed values (infra/huaweicloud.yml)", () => {
      const template = parse(readFileSync(join(ROOT, 'infra/huaweicloud.yml'), 'utf8'), {
        logLevel: 'silent',
      }) as { Parameters: { NatflowCloud: { AllowedValues: string[]; Default: string } } };
      expect(template.Parameters.NatflowCloud.AllowedValues).toEqual([...CLOUD_NAMES]);
      expect(template.Parameters.NatflowCloud.Default).toBe(DEFAULT_CLOUD);
    });
  });

  describe('Function: parseCloudName / providerOf', () => {
    it.each(CLOUD_NAMES)('accepts %s', (name) => {
      expect(isCloudName(name)).toBe(true);
      expect(parseCloudName(name, '--cloud')).toBe(name);
      expect(providerOf(name).name).toBe(name);
    });

    it('refuses another name with VALIDATION_FAILED naming the field and every choice', () => {
      expect(isCloudName('nimbus')).toBe(false);
      expect(() => parseCloudName('nimbus', '--cloud')).toThrow(
        expect.objectContaining({ name: 'VALIDATION_FAILED', path: '--cloud' }),
      );
      expect(() => parseCloudName('nimbus', '--cloud')).toThrow(
        /'nimbus' is not a cloud; use virtual or huaweicloud/,
      );
      expect(() => providerOf('nimbus')).toThrow(expect.objectContaining({ name: 'VALIDATION_FAILED' }));
    });
  });

  describe('Function: selectCloud', () => {
    it('takes the flag over the plan over NATFLOW_CLOUD over the default', () => {
      const [first, second] = CLOUD_NAMES;
      const env = { NATFLOW_CLOUD: second };
      expect(selectCloud({ env: {} })).toBe(DEFAULT_CLOUD);
      expect(selectCloud({ env })).toBe(second);
      expect(selectCloud({ plan: { cloud: first }, env })).toBe(first);
      expect(selectCloud({ flag: second, plan: { cloud: first }, env })).toBe(second);
      expect(() => selectCloud({ env: { NATFLOW_CLOUD: 'nimbus' } })).toThrow(/NATFLOW_CLOUD/);
    });
  });

  describe('Function: recordedCloud / cloudOfResource', () => {
    it("follows the resources' own cloud, else the fallback", async () => {
      const store = new MemoryStore();
      const cloud = new ControlPlane({ store });
      const vpc = await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' }, { plan: 'p' });
      // Unmarked (the virtual cloud's own resources): the fallback decides.
      expect(await recordedCloud(store, { plan: 'p' }, 'huaweicloud')).toBe('huaweicloud');
      await store.transaction([vpc.id], (tx) => tx.update({ ...vpc, cloud: 'huaweicloud' }));
      expect(await recordedCloud(store, { plan: 'p' }, 'virtual')).toBe('huaweicloud');
      expect(cloudOfResource({})).toBe(DEFAULT_CLOUD);
      expect(cloudOfResource({ cloud: 'huaweicloud' })).toBe('huaweicloud');
      expect(() => cloudOfResource({ cloud: 'nimbus' })).toThrow(
        expect.objectContaining({ name: 'VALIDATION_FAILED' }),
      );
    });
  });

  describe('Entry: load', () => {
    it('loads no provider with the registry, and only its own code when one is opened', async () => {
      // Prepare: a fresh process (vitest's has loaded everything already) that records every module it loads.
      const script = `
        const { registerHooks } = require('node:module');
        const loaded = [];
        registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
        const count = () => ({
          sdk: loaded.filter((u) => u.includes('/@huaweicloud/')).length,
          folder: loaded.filter((u) => u.includes('/src/providers/huaweicloud/')).length,
          virtual: loaded.filter((u) => u.includes('/src/providers/virtual/')).length,
        });
        (async () => {
          const registry = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/providers/registry.ts')).href)});
          const seen = { registry: count() };
          await registry.providerOf('virtual').load();
          seen.virtual = count();
          await registry.providerOf('huaweicloud').load();
          seen.huaweicloud = count();
          console.log(JSON.stringify(seen));
        })();`;

      // Act
      const { stdout } = await run(NODE, ['-e', script], { cwd: ROOT });
      const seen = JSON.parse(stdout) as Record<string, { sdk: number; folder: number; virtual: number }>;

      // Assess: the registry alone loads no provider; the virtual one loads no Huawei code; the Huawei
      // one does load its SDK (so the count above can see it).
      expect(seen.registry).toEqual({ sdk: 0, folder: 0, virtual: 0 });
      expect(seen.virtual).toMatchObject({ sdk: 0, folder: 0 });
      expect(seen.virtual?.virtual).toBeGreaterThan(0);
      expect(seen.huaweicloud?.sdk).toBeGreaterThan(0);
      expect(seen.huaweicloud?.folder).toBeGreaterThan(0);
    });

    it.each(CLOUD_NAMES)('opens %s as a provider of that name', async (name) => {
      const provider = await openOffline(name);
      expect(provider.name).toBe(name);
      expect(typeof provider.createVpc).toBe('function');
      expect(typeof provider.dryRun).toBe('function');
    });
  });

  describe('Entry: capabilities', () => {
    it.each(CLOUD_NAMES)(
      '%s: the opened provider has the methods its entry declares, and no other',
      async (name) => {
        const { capabilities } = providerOf(name);
        const provider = await openOffline(name);
        expect(typeof provider.importAccount === 'function').toBe(capabilities.importAccount);
        expect(typeof provider.freeze === 'function').toBe(capabilities.freeze);
        expect(typeof provider.unfreeze === 'function').toBe(capabilities.freeze);
      },
    );

    it.each(CLOUD_NAMES)('%s: a real cloud is never probed live nor frozen', (name) => {
      if (!can(name, 'realCloud')) return;
      expect(can(name, 'liveProbe')).toBe(false);
      expect(can(name, 'freeze')).toBe(false);
    });

    it('says what each provider can do without loading it', () => {
      expect(PROVIDERS.map((p) => [p.name, p.capabilities])).toEqual([
        ['virtual', { realCloud: false, importAccount: false, liveProbe: true, freeze: true }],
        ['huaweicloud', { realCloud: true, importAccount: true, liveProbe: false, freeze: false }],
      ]);
      expect(cloudsThatCan('importAccount')).toEqual(['huaweicloud']);
      for (const entry of PROVIDERS) {
        expect(entry.description, entry.name).toMatch(/\S/);
        expect(entry.settings, entry.name).toMatch(/\S/);
      }
    });
  });
});

describe('CLI: natflow import (asks the registry)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'natflow-registry-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const lines: string[] = [];
  const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };

  it.each(CLOUD_NAMES.filter((name) => !can(name, 'importAccount')))(
    'exits 2 on %s, naming the clouds that can import',
    async (name) => {
      const refused = importCommand.run({ argv: ['--cloud', name, '--data-dir', scratch], io, env: {} });
      await expect(refused).rejects.toMatchObject({ name: 'USAGE' });
      await expect(refused).rejects.toThrow(
        new RegExp(
          `import is not available on ${name}: .*give --cloud ${cloudsThatCan('importAccount').join(' or ')}`,
        ),
      );
    },
  );

  it('imports through any provider that can, here Huawei through the local Huawei API', async () => {
    // Prepare: an account holding one VPC natflow did not create.
    const account = new MemoryStore();
    await new ControlPlane({ store: account }).createVpc({ name: 'legacy', cidr: '172.20.0.0/16' });
    const server = await startHuaweiCloudServer({ store: account, settleMs: 0 });
    lines.length = 0;
    try {
      // Act
      const code = await importCommand.run({
        argv: ['--cloud', 'huaweicloud', '--json', '--data-dir', join(scratch, 'hwc')],
        io,
        env: {
          HUAWEICLOUD_ENDPOINT: server.url,
          HUAWEICLOUD_SDK_AK: DEFAULT_AK,
          HUAWEICLOUD_SDK_SK: DEFAULT_SK,
          HUAWEICLOUD_SDK_PROJECT_ID: DEFAULT_PROJECT_ID,
        },
      });

      // Assess
      expect(code).toBe(0);
      expect(JSON.parse(lines.join(''))).toMatchObject({ cloud: 'huaweicloud', imported: { vpc: 1 } });
    } finally {
      await server.close();
    }
  });
});
