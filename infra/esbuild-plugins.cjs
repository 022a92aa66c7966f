/**
 * esbuild plugins of the Lambda bundles (serverless.yml `custom.esbuild.plugins`). Neither changes
 * what a handler does; each drops code no handler runs.
 *
 * zodEnglishOnly: zod 4's `z.locales` re-exports the error messages of ~48 languages (about 250 KB
 * minified), which tree shaking cannot drop because `z` is a namespace object. natflow's messages are
 * English (zod's default, configured from `en` inside zod itself), so the bundles get a locales module
 * with `en` alone. Halves every bundle; behaviour is unchanged unless code calls `z.config(z.locales.xx())`,
 * which natflow never does.
 */
'use strict';

const path = require('node:path');

const zodEnglishOnly = {
  name: 'natflow-zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return { path: path.join(args.resolveDir, '../locales/index.js'), namespace: 'natflow-zod-locales' };
    });
    build.onLoad({ filter: /.*/, namespace: 'natflow-zod-locales' }, (args) => ({
      contents: 'export { default as en } from "./en.js";\n',
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * sideEffectFree: `yaml` does not declare `"sideEffects": false`, so a bundle that imports the plan
 * module for its zod schemas kept the whole YAML parser (about 110 KB) although no handler parses YAML.
 * Its modules only define classes and functions, so unused ones may be dropped.
 */
const SIDE_EFFECT_FREE = new Set(['yaml']);
const sideEffectFree = {
  name: 'natflow-side-effect-free',
  setup(build) {
    build.onResolve({ filter: /^[a-z@][^/]*$/ }, async (args) => {
      if (!SIDE_EFFECT_FREE.has(args.path) || args.pluginData?.natflowResolved) return undefined;
      const result = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { natflowResolved: true },
      });
      if (result.errors.length > 0) return { errors: result.errors };
      return { path: result.path, sideEffects: false };
    });
  },
};

/**
 * dynamoDbOnly: the store is chosen at run time (`src/store/index.ts` imports the SQLite adapter on
 * demand), but esbuild inlines dynamic imports, so every bundle carried the SQLite adapter and a static
 * `import … from "node:sqlite"` (and printed Node's ExperimentalWarning at cold start). On Lambda the
 * store is DynamoDB (serverless.yml sets NATFLOW_STORE=dynamodb), so the SQLite adapter is replaced by a
 * module whose opener says so. test/package/template.test.ts greps every packaged .mjs for node:sqlite.
 */
const dynamoDbOnly = {
  name: 'natflow-dynamodb-only',
  setup(build) {
    build.onResolve({ filter: /^\.\/sqlite\.ts$/ }, (args) => {
      if (!/[\\/]src[\\/]store[\\/]index\.ts$/.test(args.importer)) return undefined;
      return { path: 'sqlite-not-bundled', namespace: 'natflow-no-sqlite' };
    });
    build.onLoad({ filter: /.*/, namespace: 'natflow-no-sqlite' }, () => ({
      contents:
        'export function openSqliteStore() { throw new Error("the SQLite store is not in the Lambda bundles: set NATFLOW_STORE=dynamodb"); }\n',
      loader: 'js',
    }));
  },
};

module.exports = [zodEnglishOnly, sideEffectFree, dynamoDbOnly];
