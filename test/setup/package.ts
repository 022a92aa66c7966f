/**
 * Vitest global setup: one scratch directory per run for the packaged stacks (test/helpers/packaged.ts
 * packages a stage there the first time a test file asks for it, once per run whichever worker asks
 * first), removed after the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    packageRoot: string;
  }
}

export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(join(tmpdir(), 'natflow-packaged-'));
  project.provide('packageRoot', root);
  return () => rmSync(root, { recursive: true, force: true });
}
