/**
 * The `onFailure: keep` variants of the state machines, built at package time (serverless.yml:
 * `definition: ${file(infra/keep-variant.cjs):provision}`) from the same ASL file and by the same code
 * the local stack runs (src/workflow/keep-variant.ts), so the packaged `provision-keep` cannot drift from
 * `provision`: whatever statemachines/provision.asl.json holds, its keep variant is that definition
 * without its Catch edges and without the states only a Catch reached (docs/workflows.md).
 *
 * The local stack reads the same line of serverless.yml (src/stack/serverless-config.ts) and derives the
 * definition the same way. The TypeScript module (it imports nothing) is compiled with esbuild here, so
 * this works under whichever Node runs osls.
 */
'use strict';

const { readFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SOURCE = path.join(ROOT, 'src/workflow/keep-variant.ts');

let compiled;
/** src/workflow/keep-variant.ts, loaded as CommonJS. */
function keepVariantModule() {
  if (!compiled) {
    const { transformSync } = require('esbuild');
    const { code } = transformSync(readFileSync(SOURCE, 'utf8'), {
      loader: 'ts',
      format: 'cjs',
      sourcefile: SOURCE,
    });
    const module = new Module(SOURCE);
    module.filename = SOURCE;
    module._compile(code, SOURCE);
    compiled = module.exports;
  }
  return compiled;
}

/** The keep variant of `statemachines/<workflow>.asl.json`. */
function keepVariant(workflow) {
  const file = path.join(ROOT, 'statemachines', `${workflow}.asl.json`);
  return keepVariantModule().keepVariantOf(JSON.parse(readFileSync(file, 'utf8')));
}

module.exports = {
  provision: () => keepVariant('provision'),
};
module.exports.keepVariant = keepVariant;
