/**
 * DnatEvaluate: evaluates a batch of packets against a private NAT gateway's DNAT rules, statelessly
 * (docs/dnat-engine.md): each batch runs in order against a fresh session table, so it may hold a flow and its
 * replies. The gateway and its rules are read from the store.
 *
 * Input `{gateway: name-or-id, plan?, packets: [{protocol, src: 'ip:port', dst: 'ip:port', direction?,
 * tcpFlags?} | 'tcp a:p > b:q [syn]']}`; output `{gateway: id, gatewayName, results: [{verdict, rule?,
 * translated?: {src, dst}, session?, reason?}]}`. The envelope is strict (VALIDATION_FAILED); a
 * malformed packet is INVALID_PACKET in its own result and the others are answered. An unknown gateway
 * is NOT_FOUND, an ambiguous name AMBIGUOUS_NAME (its ids in the details).
 *
 * The middy stack (`lambdaHandler`): Powertools parser (zod) on the event, Powertools Logger with the
 * Lambda context, and the mapping of parse failures to natflow's error codes.
 */
import { EvaluateRequestSchema, evaluateRequest } from '../src/dnat/api.ts';
import { type Deps, defaultDeps } from './lib/deps.ts';
import { lambdaHandler, logger } from './lib/middleware.ts';

export const createHandler = (deps: Deps = defaultDeps()) =>
  lambdaHandler(EvaluateRequestSchema, async (request) => {
    const response = await evaluateRequest(await deps.store(), request, { clock: deps.clock });
    const invalid = response.results.filter((result) => result.verdict === 'INVALID_PACKET').length;
    logger.info('evaluated', {
      gateway: response.gateway,
      packets: response.results.length,
      ...(invalid > 0 ? { invalid } : {}),
    });
    return response;
  });
export const handler = createHandler();
