/**
 * The evaluate contract shared by the `dnat-evaluate` Lambda, `POST /dnat/evaluate` and
 * `natflow evaluate` (docs/http-api.md, docs/cli.md): the request schema, the JSON shape of a result (addresses as
 * `ip:port`), and `evaluateRequest`, which reads the gateway and its DNAT rules through the store port.
 *
 * The envelope is strict (an unknown field or a missing gateway is a 4xx), while each packet is
 * `unknown` here and validated on its own by `evaluateBatch`, so one malformed packet gets
 * INVALID_PACKET and the others are still answered.
 */
import { z } from 'zod';
import { resolveResource } from '../cloud/resolve.ts';
import type { DnatRule, PrivateNatGateway } from '../cloud/resources.ts';
import type { StoreReader } from '../cloud/store.ts';
import type { Clock } from '../net/clock.ts';
import { formatEndpoint } from '../net/packet.ts';
import { evaluateBatch } from './evaluate.ts';
import { DNAT_VERDICTS, type DnatResult } from './gateway.ts';

/** A batch this large evaluates in milliseconds; beyond it a caller should split. */
export const MAX_PACKETS_PER_REQUEST = 10_000;

export const EvaluateRequestSchema = z.strictObject({
  /** The private NAT gateway's name or id. */
  gateway: z.string().min(1),
  /** Resolve the gateway's name within this plan. */
  plan: z.string().min(1).optional(),
  packets: z.array(z.unknown()).min(1).max(MAX_PACKETS_PER_REQUEST),
});
export type EvaluateRequest = z.infer<typeof EvaluateRequestSchema>;

export const EvaluateResultSchema = z.object({
  verdict: z.enum(DNAT_VERDICTS),
  /** The id of the rule that decided. */
  rule: z.string().optional(),
  translated: z.object({ src: z.string(), dst: z.string() }).optional(),
  session: z.object({ id: z.number(), state: z.string() }).optional(),
  reason: z.string().optional(),
});
export type EvaluateResultJson = z.infer<typeof EvaluateResultSchema>;

export const EvaluateResponseSchema = z.object({
  /** The gateway's id. */
  gateway: z.string(),
  gatewayName: z.string(),
  results: z.array(EvaluateResultSchema),
});
export type EvaluateResponse = z.infer<typeof EvaluateResponseSchema>;

/** A result as JSON: addresses as `ip:port`, optional fields only when present. */
export function resultToJson(result: DnatResult): EvaluateResultJson {
  const json: EvaluateResultJson = { verdict: result.verdict };
  if (result.ruleId !== undefined) json.rule = result.ruleId;
  if (result.translated)
    json.translated = {
      src: formatEndpoint(result.translated.src),
      dst: formatEndpoint(result.translated.dst),
    };
  if (result.session) json.session = { id: result.session.id, state: result.session.state };
  if (result.reason !== undefined) json.reason = result.reason;
  return json;
}

/** The gateway's DNAT rules, as stored. */
export async function dnatRulesOf(store: StoreReader, gatewayId: string): Promise<DnatRule[]> {
  const referrers = await store.referrers(gatewayId);
  return referrers.filter((r): r is DnatRule => r.type === 'dnat-rule' && r.gatewayId === gatewayId);
}

/**
 * Resolves the gateway (NOT_FOUND, AMBIGUOUS_NAME), reads its rules and evaluates the batch.
 *
 * @example await evaluateRequest(store, { gateway: 'private_nat_gateway', packets: ['tcp 192.168.0.10:40000 > 192.168.0.144:80'] })
 */
export async function evaluateRequest(
  store: StoreReader,
  request: EvaluateRequest,
  options: { clock?: Clock } = {},
): Promise<EvaluateResponse> {
  const gateway = (await resolveResource(
    store,
    'private-nat-gateway',
    request.gateway,
    request.plan,
  )) as PrivateNatGateway;
  const rules = await dnatRulesOf(store, gateway.id);
  const results = evaluateBatch(gateway, rules, request.packets, options);
  return { gateway: gateway.id, gatewayName: gateway.name, results: results.map(resultToJson) };
}
