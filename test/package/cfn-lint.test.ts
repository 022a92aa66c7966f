/**
 * cfn-lint (the machine's system Python: `cfn-lint`, or NATFLOW_CFN_LINT) on the packaged template, with
 * the repository's .cfnlintrc (informational checks included): no error, no warning, no informational
 * finding. Missing cfn-lint skips outside CI and fails under CI=true.
 */
import { execFile, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PACKAGE_TIMEOUT_MS, packaged, ROOT } from '../helpers/packaged.ts';

const CFN_LINT = process.env.NATFLOW_CFN_LINT?.trim() || 'cfn-lint';
const installed = spawnSync(CFN_LINT, ['--version'], { encoding: 'utf8' }).status === 0;
if (!installed && process.env.CI === 'true') {
  throw new Error(
    `${CFN_LINT} is not installed: the packaged template must pass cfn-lint in CI (pip install cfn-lint)`,
  );
}

interface Finding {
  Rule: { Id: string; Description: string };
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Location: { Path: (string | number)[] };
}

describe.runIf(installed)('cfn-lint on the packaged template', () => {
  it(
    'finds no error, no warning and no informational finding',
    async () => {
      // Prepare
      const { templatePath } = await packaged({ stage: 'dev' });
      // Act
      // `--include-checks` takes several values: it goes before another option, never before the file
      // (cfn-lint would then read a template from stdin, which is closed here).
      const stdout = await new Promise<string>((resolve, reject) => {
        const child = execFile(
          CFN_LINT,
          ['--include-checks', 'I', '--format', 'json', templatePath],
          { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 },
          (error, out, err) => {
            // cfn-lint exits non-zero when it finds something; its JSON is on stdout either way.
            if (error && !out.trim().startsWith('['))
              reject(new Error(`cfn-lint failed: ${err || error.message}`));
            else resolve(out);
          },
        );
        child.stdin?.end();
      });
      // Assess: the file was linted (not an empty template read from stdin)
      expect(stdout).not.toContain('None');
      const findings = (JSON.parse(stdout) as Finding[]).map(
        (f) => `${f.Level} ${f.Rule.Id} at ${f.Location.Path.join('/')}: ${f.Message}`,
      );
      expect(findings).toEqual([]);
    },
    PACKAGE_TIMEOUT_MS + 120_000,
  );
});
