// Fast start for the `natflow` command (docs/cli.md "Start-up"). A plain .js module, loaded by
// bin/natflow.js before any TypeScript, with two in-thread module hooks (`module.registerHooks`):
//
// 1. **Stripped sources, cached.** Node strips TypeScript types itself, but the stripper (amaro, a
//    WebAssembly build of swc) costs about 80 ms of CPU to load in every process — more than a bare
//    `node -e 0`. The load hook hands Node the stripped JavaScript of each of natflow's `.ts` files from
//    a cache (one file per source, checked against the source's size, times and inode, and Node's
//    version), so a command whose files are all cached never loads the stripper, nor reads the sources.
//    A source written since no longer matches and is stripped again: the cache is never stale. The
//    module keeps its own `file:` URL (import.meta, stack traces and the module graph are exactly those
//    of the sources), and the JavaScript is the stripper's own output for that source (types replaced by
//    spaces: same lines and columns).
// 2. **One file per dependency on the hot path.** `zod` and `yaml` are about 170 small ES modules in
//    node_modules, and loading a module costs per file. The resolve hook sends the bare specifiers
//    `zod` and `yaml` to a single-file bundle of the installed package (built with esbuild on first use,
//    keyed by the package's version), so every importer in the process — natflow and the dependencies
//    that import zod — shares that one copy. Without esbuild (a production install) nothing is bundled
//    and the packages load as usual.
//
// And V8's compile cache (`module.enableCompileCache`) for everything loaded from disk.
//
// The cache lives in `node_modules/.cache/natflow/` of the checkout (or `NATFLOW_CACHE_DIR`;
// `NATFLOW_CACHE_DIR=off` turns all of this off). `npm ci` fills it (the `prepare` script runs this file
// with `--warm`), so even a fresh checkout's first command starts fast. Whatever goes wrong with it (a read-only directory,
// no esbuild) costs only speed: each hook falls back to what Node does without it.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The dependencies served as one bundled file each. */
const VENDORED = new Set(['zod', 'yaml']);

/** Where the cache is: `NATFLOW_CACHE_DIR`, else `node_modules/.cache/natflow` of this checkout. */
export function cacheDirOf(env = process.env) {
  const setting = env.NATFLOW_CACHE_DIR;
  if (setting === 'off') return undefined;
  return setting || join(ROOT, 'node_modules', '.cache', 'natflow');
}

/** Writes a file whole or not at all (another process may read it at any moment). */
function writeAtomically(file, text) {
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  } catch {
    rmSync(temporary, { force: true });
  }
}

function readOrUndefined(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Node's type stripping, without its one-time "experimental" notice on stderr. */
function stripTypes(source) {
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return module.stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** 64 bits of FNV-1a (two 32-bit lanes) as hex: a cache file's name, not a proof of anything. */
function nameHash(text) {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** The marker ending a cached file: what the source file was when it was stripped. */
const KEY_MARK = '\n// natflow-stripped-from ';

/**
 * Where a source's stripped JavaScript is cached, and the key it must carry: the source's path, size,
 * modification and change times and inode, and Node's version. A source written since (its ctime moves
 * on every write) no longer matches, and is stripped again. The key ends the file as a comment, so the
 * JavaScript's lines are the source's.
 */
function cacheEntry(dir, path) {
  let stat;
  try {
    stat = statSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  const key = `${process.version} ${stat.ino} ${stat.size} ${stat.mtimeNs} ${stat.ctimeNs} ${path}`;
  return { file: join(dir, 'ts', `${nameHash(`${process.version} ${path}`)}.js`), key };
}

/** The cached JavaScript of an entry, if the cache holds it for that very key. */
function readCached(entry) {
  const text = readOrUndefined(entry.file);
  if (text === undefined) return undefined;
  const mark = text.lastIndexOf(KEY_MARK);
  return mark >= 0 && text.slice(mark + KEY_MARK.length) === entry.key ? text.slice(0, mark) : undefined;
}

/** The installed version of a package, or undefined when it is not installed. */
function installedVersion(name) {
  const text = readOrUndefined(join(ROOT, 'node_modules', name, 'package.json'));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text).version;
  } catch {
    return undefined;
  }
}

/**
 * The bundle's entry: every export of the package by name (an ES module re-exports what the package's
 * own namespace has, a CommonJS one — yaml — what its `module.exports` has), and its default.
 */
function vendorEntry(name, require) {
  const names = Object.keys(require(name)).filter(
    (key) => key !== 'default' && /^[A-Za-z_$][\w$]*$/.test(key),
  );
  return [
    `import * as ns from ${JSON.stringify(name)};`,
    ...names.map((key, i) => `const e${i} = ns[${JSON.stringify(key)}]; export { e${i} as ${key} };`),
    "export default 'default' in ns ? ns.default : ns;",
  ].join('\n');
}

/** The single-file bundle of a vendored package, building it now if needed; undefined if it cannot be. */
function vendoredFile(dir, name, esbuild) {
  const version = installedVersion(name);
  if (version === undefined) return undefined;
  const file = join(dir, 'vendor', `${name}-${version}-${process.version}.mjs`);
  if (readOrUndefined(`${file}.ok`) !== undefined) return file;
  const build = esbuild();
  if (!build) return undefined;
  try {
    const result = build.buildSync({
      stdin: {
        contents: vendorEntry(name, module.createRequire(join(ROOT, 'package.json'))),
        resolveDir: ROOT,
        loader: 'js',
      },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
      // The CommonJS inside a package (yaml's dist) asks for `require`.
      banner: {
        js: "import { createRequire as __natflowRequire } from 'node:module'; const require = __natflowRequire(import.meta.url);",
      },
    });
    writeAtomically(file, result.outputFiles[0].text);
    writeAtomically(`${file}.ok`, version);
    return file;
  } catch {
    return undefined;
  }
}

/** esbuild, loaded on first use; null when it is not installed (a production install). */
function esbuildLoader() {
  let loaded;
  return () => {
    if (loaded === undefined) {
      try {
        loaded = module.createRequire(join(ROOT, 'package.json'))('esbuild');
      } catch {
        loaded = null;
      }
    }
    return loaded;
  };
}

/** Strips a source into the cache unless the cache holds it already. */
function warmSource(dir, path) {
  const entry = cacheEntry(dir, path);
  if (!entry || readCached(entry) !== undefined) return false;
  writeAtomically(entry.file, `${stripTypes(readFileSync(path, 'utf8'))}${KEY_MARK}${entry.key}`);
  return true;
}

/** Every `.ts` file under a directory of the checkout. */
function sourcesUnder(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourcesUnder(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/**
 * Fills the cache ahead of the first command (npm's `prepare`, so right after `npm ci`): every source
 * of `src/` and `functions/` stripped, `zod` and `yaml` bundled. Returns how many sources it stripped;
 * does nothing where the hooks cannot run (an older Node, the cache off).
 */
export function warmCache(env = process.env) {
  const dir = cacheDirOf(env);
  if (dir === undefined || typeof module.registerHooks !== 'function') return 0;
  let stripped = 0;
  for (const folder of ['src', 'functions'])
    for (const path of sourcesUnder(join(ROOT, folder))) if (warmSource(dir, path)) stripped++;
  const esbuild = esbuildLoader();
  for (const name of VENDORED) vendoredFile(dir, name, esbuild);
  return stripped;
}

/**
 * Installs the hooks for this process; returns false (and changes nothing) when they are off or the
 * running Node has no in-thread hooks.
 */
export function installFastStart(env = process.env) {
  const dir = cacheDirOf(env);
  if (dir === undefined || typeof module.registerHooks !== 'function') return false;
  try {
    module.enableCompileCache?.(join(dir, 'v8'));
  } catch {
    // Only slower.
  }
  const esbuild = esbuildLoader();
  const vendored = new Map();
  const vendorUrl = (name) => {
    if (!vendored.has(name)) {
      // While the bundle is made, `require(name)` (its export list) resolves as usual, not back here.
      vendored.set(name, undefined);
      const file = vendoredFile(dir, name, esbuild);
      vendored.set(name, file === undefined ? undefined : pathToFileURL(file).href);
    }
    return vendored.get(name);
  };
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      if (VENDORED.has(specifier)) {
        const url = vendorUrl(specifier);
        if (url !== undefined) return { url, format: 'module', shortCircuit: true };
      }
      return nextResolve(specifier, context);
    },
    load(url, context, nextLoad) {
      // Node strips no types under node_modules (it refuses them): neither does this.
      if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/'))
        return nextLoad(url, context);
      const entry = cacheEntry(dir, fileURLToPath(url));
      const cached = entry && readCached(entry);
      if (cached !== undefined) return { format: 'module', source: cached, shortCircuit: true };
      const loaded = nextLoad(url, context);
      if (loaded.format !== 'module-typescript' || loaded.source == null) return loaded;
      const source =
        typeof loaded.source === 'string' ? loaded.source : Buffer.from(loaded.source).toString('utf8');
      const stripped = stripTypes(source);
      if (entry) writeAtomically(entry.file, `${stripped}${KEY_MARK}${entry.key}`);
      return { format: 'module', source: stripped, shortCircuit: true };
    },
  });
  return true;
}

// `node bin/fast-start.js --warm` (npm's `prepare`): fill the cache. Never fails an install: a cache that
// cannot be filled only makes the first commands slower.
if (
  process.argv[1] &&
  import.meta.url === pathToFileURL(process.argv[1]).href &&
  process.argv[2] === '--warm'
) {
  try {
    warmCache();
  } catch {
    // Only slower.
  }
}
