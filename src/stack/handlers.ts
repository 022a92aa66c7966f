/**
 * How the local runtime builds a function of serverless.yml: `functions/x.handler` names the module
 * and its Lambda export; the runtime calls the module's factory beside it, `createHandler(deps)`, with
 * its own deps (store, cloud, data plane, bus, clock), never the Lambda default the export was built
 * with. Every handler module exports both:
 *
 *     export const createHandler = (deps: Deps = defaultDeps()) => lambdaHandler(Schema, async (e) => …);
 *     export const handler = createHandler();
 *
 * The runtime passes its `ApiDeps` (a `Deps` with Step Functions) to every factory; each takes what it needs.
 */
import { pathToFileURL } from 'node:url';
import type { Deps } from '../../functions/lib/deps.ts';
import type { FunctionSpec } from './serverless-config.ts';

/** The factory's name for a Lambda export: `handler` → `createHandler`, `run` → `createRun`. */
export function factoryNameOf(exportName: string): string {
  return `create${exportName.charAt(0).toUpperCase()}${exportName.slice(1)}`;
}

/** Imports a function's module and builds its handler with `deps`. */
export async function loadHandler<H>(spec: FunctionSpec, deps: Deps): Promise<H> {
  const module = (await import(pathToFileURL(spec.module).href)) as Record<string, unknown>;
  const factory = module[factoryNameOf(spec.exportName)];
  if (typeof factory !== 'function') {
    throw new Error(
      `${spec.handler}: ${spec.module} exports no ${factoryNameOf(spec.exportName)}(deps), the factory of its handler`,
    );
  }
  const handler: unknown = factory(deps);
  if (typeof handler !== 'function')
    throw new Error(`${spec.handler}: ${factoryNameOf(spec.exportName)}(deps) did not return a handler`);
  return handler as H;
}
