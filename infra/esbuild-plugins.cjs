/**
 * esbuild plugins of the Lambda bundles (serverless.yml `custom.esbuild.plugins`). None changes
 * what a handler does; each drops code that handler never runs.
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

/**
 * providersWhereCloudDriven: the provider registry (src/providers/registry.ts) loads each provider folder
 * with a dynamic `import('./<name>/index.ts')`, but esbuild inlines dynamic imports, and every handler
 * imports the registry (the plan schema does), so every bundle carried every provider — the Huawei Cloud
 * SDK (CommonJS axios, lodash, moment-timezone: about 1.5 MB minified) included. A function drives a
 * cloud only when its role has the `cloud` grant of infra/iam.cjs (which lets it read the Huawei Cloud
 * secret); in every other function's bundle each provider folder the registry imports is replaced by a
 * module whose `open` says so. The registry is untouched: a new provider (a folder and its entry) is
 * carried by the cloud-driving bundles and stubbed in the others with no change here.
 * test/package/template.test.ts bounds the bundles: 1 MiB, 2 MiB for the cloud-driving ones.
 */
const REGISTRY = /[\\/]src[\\/]providers[\\/]registry\.ts$/;
const PROVIDER_FOLDER = /^\.\/([a-z0-9-]+)\/index\.ts$/;

/** The functions whose handler module is `entry` (`functions/api/health.ts` ↔ `functions/api/health.handler`). */
function functionsOfEntry(functions, entry) {
  const module = String(entry)
    .replace(/\\/g, '/')
    .replace(/^\.\//, '')
    .replace(/\.[cm]?[jt]s$/, '');
  return Object.entries(functions)
    .filter(([, fn]) => typeof fn?.handler === 'string')
    .filter(([, fn]) => fn.handler.replace(/\.[^./]+$/, '').replace(/^\.\//, '') === module)
    .map(([name]) => name);
}

function providersWhereCloudDriven(functions, cloudDriving) {
  const driving = new Set(cloudDriving);
  return {
    name: 'natflow-providers-where-cloud-driven',
    setup(build) {
      const entries = [build.initialOptions.entryPoints ?? []].flat();
      const names = entries.flatMap((entry) =>
        functionsOfEntry(functions, typeof entry === 'string' ? entry : entry.in),
      );
      // An entry no function names (none in this service), or one a cloud-driving function runs: as is.
      if (names.length === 0 || names.some((name) => driving.has(name))) return;
      build.onResolve({ filter: PROVIDER_FOLDER }, (args) => {
        if (!REGISTRY.test(args.importer)) return undefined;
        return { path: PROVIDER_FOLDER.exec(args.path)[1], namespace: 'natflow-no-provider' };
      });
      build.onLoad({ filter: /.*/, namespace: 'natflow-no-provider' }, (args) => ({
        contents: `export async function open() { throw new Error(${JSON.stringify(
          `the ${args.path} provider is not in the bundle of ${names.join(', ')}: only a function with the 'cloud' grant of infra/iam.cjs drives a cloud`,
        )}); }\n`,
        loader: 'js',
      }));
    },
  };
}

/**
 * clientsWhereGranted: the same for the two AWS clients natflow opens on demand. A function whose role
 * may not PutEvents never publishes, and one with no table grant never opens the store: their bundles get
 * the on-demand module replaced by one whose export says so (the EventBridge client, the DynamoDB
 * clients and their SDK code stay out). infra/iam.cjs's ACCESS says who has which grant.
 */
const ON_DEMAND = [
  {
    what: 'the EventBridge publisher',
    importer: /[\\/]functions[\\/]lib[\\/]deps\.ts$/,
    path: /^\.\/eventbridge\.ts$/,
    grants: ['events'],
    exports: ['eventBridgePublisher'],
  },
  {
    what: 'the DynamoDB store',
    importer: /[\\/]src[\\/]store[\\/]index\.ts$/,
    path: /^\.\/dynamodb\.ts$/,
    grants: ['tableRead', 'tableWrite'],
    exports: ['openDynamoStore'],
  },
];

function clientsWhereGranted(functions, access) {
  return {
    name: 'natflow-clients-where-granted',
    setup(build) {
      const entries = [build.initialOptions.entryPoints ?? []].flat();
      const names = entries.flatMap((entry) =>
        functionsOfEntry(functions, typeof entry === 'string' ? entry : entry.in),
      );
      if (names.length === 0) return;
      ON_DEMAND.forEach((module, index) => {
        const granted = names.some((name) =>
          (access[name] ?? module.grants).some((g) => module.grants.includes(g)),
        );
        if (granted) return;
        build.onResolve({ filter: module.path }, (args) =>
          module.importer.test(args.importer)
            ? { path: String(index), namespace: 'natflow-not-granted' }
            : undefined,
        );
      });
      build.onLoad({ filter: /.*/, namespace: 'natflow-not-granted' }, (args) => {
        const module = ON_DEMAND[Number(args.path)];
        const message = `${module.what} is not in the bundle of ${names.join(', ')}: its role has none of ${module.grants.join(', ')} (infra/iam.cjs)`;
        return {
          contents: module.exports
            .map((name) => `export function ${name}() { throw new Error(${JSON.stringify(message)}); }\n`)
            .join(''),
          loader: 'js',
        };
      });
    },
  };
}

/**
 * The plugins of one service (serverless-esbuild calls this with the framework's instance): the three
 * above for every bundle; the providers only in the bundles of functions that drive a cloud, and the
 * on-demand AWS clients only in those whose role may use them.
 */
module.exports = (serverless) => {
  const functions = serverless?.service?.functions ?? {};
  const iam = require('./iam.cjs');
  return [
    zodEnglishOnly,
    sideEffectFree,
    dynamoDbOnly,
    providersWhereCloudDriven(functions, iam.cloudDriving()),
    clientsWhereGranted(functions, iam.ACCESS),
  ];
};
module.exports.functionsOfEntry = functionsOfEntry;
