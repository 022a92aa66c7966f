/**
 * The stack as `osls package` builds it offline (no AWS credentials, no profile), once per test run
 * and stage: the first caller packages into the run's directory (test/setup/package.ts), holding a lock
 * file; every other caller, in any worker, waits for its result. Packaging takes 1–2 minutes.
 */
import { execFile } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { inject } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '../..');
export const PACKAGE_TIMEOUT_MS = 400_000;

export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: unknown;
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface Packaged {
  stage: string;
  dir: string;
  templatePath: string;
  template: {
    Parameters?: Record<string, { Default?: string; AllowedValues?: string[] }>;
    Conditions?: Record<string, unknown>;
    Resources: Record<string, CfnResource>;
    Outputs?: Record<string, { Value: unknown }>;
  };
  /** The service as osls resolved it (serverless-state.json). */
  state: { service: { provider: Record<string, unknown> } };
}

interface Spec {
  stage: string;
  params?: Record<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(spec: Spec, dir: string): Promise<{ code: number; output: string }> {
  // No credentials and no profile: packaging must not need an AWS account.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const args = ['package', '--stage', spec.stage, '--package', dir];
  for (const [name, value] of Object.entries(spec.params ?? {})) args.push(`--param=${name}=${value}`);
  return new Promise((done) => {
    execFile(
      join(ROOT, 'node_modules/.bin/osls'),
      args,
      { cwd: ROOT, env: { ...env, AWS_SDK_LOAD_CONFIG: '0', HOME: dir }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        done({
          code: error ? Number((error as { code?: number }).code ?? 1) || 1 : 0,
          output: `${stdout}${stderr}`,
        }),
    );
  });
}

/**
 * The packaged stack of `spec` (packaged now, or by another worker of this run). While iterating on
 * tests, `NATFLOW_PACKAGED_DEV=<dir>` names the directory of an `osls package --stage dev --package
 * <dir>` made earlier, used for the plain `dev` stage instead of packaging again (never set in CI).
 */
export async function packaged(spec: Spec): Promise<Packaged> {
  const name = [spec.stage, ...Object.entries(spec.params ?? {}).map(([k, v]) => `${k}-${v}`)].join('.');
  const reuse = process.env.NATFLOW_PACKAGED_DEV?.trim();
  if (reuse && name === 'dev' && process.env.CI !== 'true') return read(spec, reuse);
  const root = inject('packageRoot');
  const dir = join(root, name);
  const lock = join(root, `${name}.lock`);
  const result = join(root, `${name}.result.json`);
  let mine = false;
  try {
    closeSync(openSync(lock, 'wx'));
    mine = true;
  } catch {
    // another worker is packaging this stage
  }
  if (mine) {
    const outcome = await run(spec, dir);
    writeFileSync(result, JSON.stringify(outcome));
  } else {
    const deadline = Date.now() + PACKAGE_TIMEOUT_MS;
    while (!existsSync(result)) {
      if (Date.now() > deadline) throw new Error(`packaging ${name} did not finish`);
      await sleep(500);
    }
  }
  const outcome = JSON.parse(readFileSync(result, 'utf8')) as { code: number; output: string };
  if (outcome.code !== 0)
    throw new Error(`osls package ${name} failed (${outcome.code}):\n${outcome.output.slice(-4000)}`);
  return read(spec, dir);
}

function read(spec: Spec, dir: string): Packaged {
  const templatePath = join(dir, 'cloudformation-template-update-stack.json');
  return {
    stage: spec.stage,
    dir,
    templatePath,
    template: JSON.parse(readFileSync(templatePath, 'utf8')),
    state: JSON.parse(readFileSync(join(dir, 'serverless-state.json'), 'utf8')),
  };
}

/** The entries of a zip file: name, uncompressed size and content, read from its central directory. */
export function zipEntries(zip: Buffer): { name: string; size: number; content: () => Buffer }[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: { name: string; size: number; content: () => Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(offset + 10);
    const compressed = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const local = zip.readUInt32LE(offset + 42);
    entries.push({
      size: zip.readUInt32LE(offset + 24),
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength),
      content: () => {
        const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
        const data = zip.subarray(start, start + compressed);
        return method === 8 ? inflateRawSync(data) : Buffer.from(data);
      },
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
