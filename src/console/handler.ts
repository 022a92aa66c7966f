/**
 * The console's pages and its own small JSON routes (`/console`): a few static files and four routes.
 * Everything else the console shows comes from the natflow HTTP API on the same origin (executions,
 * history, resources, events), exactly as a user's own script would get it.
 *
 *     GET  /console/                      index.html (hash routes: #/executions, #/executions/<arn>, …)
 *     GET  /console/assets/<file>         CSS, and the ES modules: written in TypeScript, served with
 *                                         their types stripped by Node (`module.stripTypeScriptTypes`),
 *                                         so there is no build step and the same modules are unit-tested
 *     GET  /console/assets/vendor/<file>  the layout library's browser bundle (elkjs), read from
 *                                         node_modules and served from this origin (assets/elk.ts)
 *     GET  /console/api/state-machines    the ASL definitions of the stack's state machines (provision-keep,
 *                                         the variant onFailure: keep runs, included), to draw the graphs
 *     GET  /console/api/examples          the example plans under examples/
 *     POST /console/api/dataflow          {state, input, result?, context?} → the stages of the state's data
 *                                         flow (InputPath → … → OutputPath), computed by the engine
 *     GET  /console/api/live              server-sent events (live.ts, beside this handler: index.ts)
 *     POST /console/api/parse-plan        YAML or JSON text → the plan as JSON (MALFORMED_PLAN otherwise);
 *                                         the browser then POSTs it to /executions, whose validation
 *                                         errors (422, with paths) it shows
 *
 * Offline by construction: nothing is fetched from anywhere but this origin, and the Content Security
 * Policy says so to the browser too. Paths are resolved inside the assets folder only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire, stripTypeScriptTypes } from 'node:module';
import { extname, join, resolve, sep } from 'node:path';
import { PROBLEM_CONTENT_TYPE, problem } from '../api/problem.ts';
import { NatflowError } from '../net/errors.ts';
import { parsePlanText } from '../plan/plan.ts';
import { type DataFlowRequest, dataFlowOf } from './dataflow.ts';

/** A state machine the console draws: its workflow key, its name and its ASL definition. */
export interface ConsoleStateMachine {
  key: string;
  name: string;
  definition: Record<string, unknown>;
}

export interface ConsoleHandlerOptions {
  /** The state machines of the stack the console is served by (read on each request). */
  stateMachines: () => readonly ConsoleStateMachine[];
  /** The folder of example plans (default: the project's `examples/`). */
  examplesDir?: string;
}

const ASSETS_DIR = resolve(import.meta.dirname, 'assets');
const require = createRequire(import.meta.url);

/**
 * Third-party browser code the console serves from its own origin, by file name. elkjs's bundled build
 * lays out on the page's thread (no Worker) and uses no eval, so it runs under the CSP below.
 */
const VENDOR: Record<string, () => string> = {
  'elk.bundled.js': () => require.resolve('elkjs/lib/elk.bundled.js'),
};
const MAX_PLAN_BYTES = 256 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ts': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/**
 * The console's request handler for the local HTTP server: returns true when the request was the
 * console's (any path under `/console`), false otherwise so the server goes on routing it.
 */
export function createConsoleHandler(
  options: ConsoleHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const examplesDir = options.examplesDir ?? resolve(import.meta.dirname, '../../examples');
  const compiled = new Map<string, { mtimeMs: number; body: Buffer }>();

  const routes = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const method = req.method ?? 'GET';
    if (path === '/console') {
      res.writeHead(308, { Location: '/console/', ...SECURITY_HEADERS }).end();
      return;
    }
    if (path.startsWith('/console/api/')) {
      const route = path.slice('/console/api/'.length);
      if (route === 'state-machines' && method === 'GET') {
        sendJson(res, 200, {
          stateMachines: options.stateMachines().map((m) => ({
            key: m.key,
            name: m.name,
            definition: m.definition,
          })),
        });
        return;
      }
      if (route === 'examples' && method === 'GET') {
        sendJson(res, 200, { examples: listExamples(examplesDir) });
        return;
      }
      if (route === 'parse-plan' && method === 'POST') {
        const text = await readText(req);
        if (text === undefined) {
          sendProblem(res, 413, 'PAYLOAD_TOO_LARGE', `a plan is at most ${MAX_PLAN_BYTES / 1024} KB`);
          return;
        }
        try {
          sendJson(res, 200, { plan: parsePlanText(text) });
        } catch (error) {
          if (!(error instanceof NatflowError)) throw error;
          sendProblem(res, 422, error.name, error.message, [error.toIssue()]);
        }
        return;
      }
      if (route === 'dataflow' && method === 'POST') {
        const text = await readText(req);
        if (text === undefined) {
          sendProblem(res, 413, 'PAYLOAD_TOO_LARGE', `a request is at most ${MAX_PLAN_BYTES / 1024} KB`);
          return;
        }
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          sendProblem(res, 400, 'MALFORMED_JSON', 'the body is not JSON');
          return;
        }
        const request = body as Partial<DataFlowRequest> | null;
        if (
          !request ||
          typeof request.state !== 'object' ||
          request.state === null ||
          !('input' in request)
        ) {
          sendProblem(
            res,
            422,
            'VALIDATION_FAILED',
            'the body needs {state: object, input, result?, context?}',
            [{ path: 'state', code: 'VALIDATION_FAILED', message: 'a state definition object is required' }],
          );
          return;
        }
        sendJson(res, 200, { stages: await dataFlowOf(request as DataFlowRequest) });
        return;
      }
      const known = ['state-machines', 'examples', 'parse-plan', 'dataflow'];
      if (known.includes(route)) {
        const allow = route === 'parse-plan' || route === 'dataflow' ? 'POST' : 'GET';
        res.setHeader('Allow', allow);
        sendProblem(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${allow}`);
        return;
      }
      sendProblem(res, 404, 'NOT_FOUND', `no console route ${path}`);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendProblem(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
      return;
    }
    if (path.startsWith('/console/assets/vendor/')) {
      const locate = VENDOR[path.slice('/console/assets/vendor/'.length)];
      if (!locate) {
        sendProblem(res, 404, 'NOT_FOUND', `no console file ${path}`);
        return;
      }
      const body = vendorFile(locate());
      res.writeHead(200, {
        'Content-Type': CONTENT_TYPES['.js']!,
        'Content-Length': body.length,
        ...SECURITY_HEADERS,
        'Cache-Control': 'max-age=3600',
      });
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    const relative =
      path === '/console/' ? 'index.html' : path.slice('/console/'.length).replace(/^assets\//, '');
    const file = resolve(ASSETS_DIR, decodeURIComponent(relative));
    const type = CONTENT_TYPES[extname(file)];
    if (!file.startsWith(ASSETS_DIR + sep) || !type || !isFile(file)) {
      sendProblem(res, 404, 'NOT_FOUND', `no console file ${path}`);
      return;
    }
    const body = extname(file) === '.ts' ? compile(file) : readFileSync(file);
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, ...SECURITY_HEADERS });
    res.end(method === 'HEAD' ? undefined : body);
  };

  const vendored = new Map<string, Buffer>();
  const vendorFile = (file: string): Buffer => {
    let body = vendored.get(file);
    if (!body) {
      body = readFileSync(file);
      vendored.set(file, body);
    }
    return body;
  };

  const compile = (file: string): Buffer => {
    const { mtimeMs } = statSync(file);
    const cached = compiled.get(file);
    if (cached && cached.mtimeMs === mtimeMs) return cached.body;
    const body = Buffer.from(stripTypes(readFileSync(file, 'utf8')));
    compiled.set(file, { mtimeMs, body });
    return body;
  };

  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/console' && !path.startsWith('/console/')) return false;
    routes(req, res, path).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      process.emitWarning(`natflow console: ${error instanceof Error ? error.stack : String(error)}`);
      sendProblem(res, 500, 'INTERNAL_ERROR', error instanceof Error ? error.message : String(error));
    });
    return true;
  };
}

/**
 * TypeScript → JavaScript by erasing the types (the modules use erasable syntax only, as the rest of
 * natflow). Node flags the API experimental once per process; that one notice is not the user's concern.
 */
function stripTypes(source: string): string {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.includes('stripTypeScriptTypes')) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emitWarning;
  }
}

function listExamples(dir: string): { file: string; name: string; text: string }[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.plan\.(ya?ml|json)$/.test(f));
  } catch {
    return [];
  }
  return files.sort().map((file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    let name = file.replace(/\.plan\.(ya?ml|json)$/, '');
    try {
      const plan = parsePlanText(text) as { name?: unknown };
      if (typeof plan.name === 'string') name = plan.name;
    } catch {
      // A malformed example is still offered: the console shows why it does not parse.
    }
    return { file, name, text };
  });
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The body as text, or undefined when it is over the limit. */
function readText(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PLAN_BYTES) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => done(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...SECURITY_HEADERS,
  });
  res.end(text);
}

function sendProblem(
  res: ServerResponse,
  status: number,
  code: string,
  detail: string,
  errors: { path: string; code: string; message: string }[] = [{ path: '', code, message: detail }],
): void {
  const text = JSON.stringify(problem(status, errors, detail));
  res.writeHead(status, {
    'Content-Type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    'Content-Length': Buffer.byteLength(text),
    ...SECURITY_HEADERS,
  });
  res.end(text);
}
