/**
 * The probe use-case the Lambda (functions/probe.ts), the API (functions/api/probe.ts) and the CLI's
 * embedded run share: read the resources, bring the live network in line with them (so the model and
 * the sockets agree on what exists) unless only the analysis is asked, then probe.
 */
import type { StoreReader } from '../cloud/store.ts';
import type { LiveNetwork } from './live.ts';
import { Topology } from './model.ts';
import { modeFor, type ProbeReport, type ProbeRequest, probe } from './probe.ts';
import { inScopeOf, probeScope } from './scope.ts';

export async function probeResources(
  store: StoreReader,
  request: ProbeRequest,
  options: { live?: LiveNetwork | undefined; timeoutMs?: number } = {},
): Promise<ProbeReport> {
  // The probe's connected part of the store (indexed reads), not all of it: ./scope.ts.
  let resources = await probeScope(store, request);
  // A real cloud's resources are analysed only (probe.ts): no data plane is brought in line for them.
  const analyzeOnly =
    request.mode === 'analyze' || modeFor(Topology.from(resources), request).note !== undefined;
  const live = analyzeOnly ? undefined : options.live;
  if (live?.syncScopeFrom) {
    await live.syncScopeFrom(async () => {
      resources = await probeScope(store, request);
      return { resources, inScope: inScopeOf(undefined, resources) };
    });
  } else if (live) await live.sync(await store.list()); // a live network that only syncs everything
  return probe(Topology.from(resources), request, {
    dataPlane: live,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}
