/**
 * Probe: `{from, to, protocol, port, mode?, plan?}` → the probe report (DESIGN §5). With the local
 * runtime's data plane it reconciles the sockets with the store first (so the model and the sockets
 * agree on what exists) and runs both modes; on AWS there is none, and the probe analyses.
 */
import { z } from 'zod';
import { APP_PROTOCOLS } from '../src/cloud/resources.ts';
import { Topology } from '../src/probe/model.ts';
import { probe } from '../src/probe/probe.ts';
import { inScopeOf, probeScope } from '../src/probe/scope.ts';
import { getDataPlane, getStore } from './lib/deps.ts';
import { lambdaHandler } from './lib/middleware.ts';

export const ProbeEventSchema = z.object({
  from: z.string().min(1),
  to: z.string().min(1),
  protocol: z.enum(APP_PROTOCOLS),
  port: z.number().int().min(1).max(65535),
  mode: z.enum(['analyze', 'live', 'both']).optional(),
  plan: z.string().min(1).optional(),
});

export const handler = lambdaHandler(ProbeEventSchema, async (request) => {
  const resources = await probeScope(await getStore(), request);
  const dataPlane = request.mode === 'analyze' ? undefined : getDataPlane();
  if (dataPlane) await dataPlane.syncScope(resources, inScopeOf(undefined, resources));
  return probe(Topology.from(resources), request, { dataPlane });
});
