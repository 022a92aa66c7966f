/**
 * The DNAT engine: the private NAT gateway's data plane (docs/dnat-engine.md). Pure, no I/O beyond the store
 * port that `evaluateRequest` reads through.
 */
export {
  dnatRulesOf,
  type EvaluateRequest,
  EvaluateRequestSchema,
  type EvaluateResponse,
  EvaluateResponseSchema,
  type EvaluateResultJson,
  EvaluateResultSchema,
  evaluateRequest,
  MAX_PACKETS_PER_REQUEST,
  resultToJson,
} from './api.ts';
export {
  evaluateBatch,
  type PacketInput,
  PacketInputSchema,
  type ParsedPacket,
  parsePacketInput,
} from './evaluate.ts';
export {
  type Direction,
  DNAT_VERDICTS,
  DnatGateway,
  type DnatGatewayOptions,
  type DnatResult,
  type DnatVerdict,
  type SessionInfo,
  type Translation,
} from './gateway.ts';
export {
  compileRuleIndex,
  type LookupVerdict,
  lookupRule,
  RuleIndex,
  type RuleLookup,
} from './rule-index.ts';
export { DEFAULT_GATEWAY_PORTS, DEFAULT_TIMEOUTS, type SessionTimeouts } from './session-table.ts';
