/**
 * The probe use-case the Lambda (functions/probe.ts), the API (functions/api/probe.ts) and the CLI's
 * embedded run share: read the resources, bring the live network in line with them (so the model and
 * the sockets agree on what exists) unless only the analysis is asked, then probe.
 */
import type { StoreReader } from '../cloud/store.ts';
import type { LiveNetwork } from './live.ts';
import { Topology } from './model.ts';
import { type ProbeReport, type ProbeRequest, probe } from './probe.ts';

export async function probeResources(
  store: StoreReader,
  request: ProbeRequest,
  options: { live?: LiveNetwork | undefined; timeoutMs?: number } = {},
): Promise<ProbeReport> {
  const resources = await store.list();
  const live = request.mode === 'analyze' ? undefined : options.live;
  if (live) await live.sync(resources);
  return probe(Topology.from(resources), request, {
    dataPlane: live,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}
