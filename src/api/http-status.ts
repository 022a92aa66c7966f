/**
 * The HTTP status of each natflow error code (DESIGN §8.2): what natflow's API answers for a coded error.
 * The codes themselves are the core's (`src/cloud/errors.ts`); their mapping to HTTP is the API's.
 */

const CONFLICT_CODES: ReadonlySet<string> = new Set([
  'SUBNET_OVERLAP',
  'IP_IN_USE',
  'SUBNET_EXHAUSTED',
  'TRANSIT_IP_IN_TARGET_VPC',
  'TARGET_NOT_IN_GATEWAY_VPC',
  'LB_ALREADY_MAPPED',
  'DNAT_PORT_CONFLICT',
  'PORT_TYPE_CONFLICT',
  'TRANSIT_IP_SHARED',
  'SNAT_SOURCE_CONFLICT',
  'GATEWAY_NOT_ACTIVE',
  'QUOTA_EXCEEDED',
  'DEPENDENCY_VIOLATION',
  'PLAN_CHANGED',
  'EXECUTION_ALREADY_EXISTS',
]);

/**
 * The HTTP status of a code (DESIGN §8.2): 404 `NOT_FOUND`, 409 conflicts with existing state,
 * 422 anything wrong with the input itself.
 */
export function httpStatusOf(code: string): number {
  if (code === 'NOT_FOUND') return 404;
  if (CONFLICT_CODES.has(code)) return 409;
  if (code === 'PAYLOAD_TOO_LARGE') return 413;
  if (code === 'UNSUPPORTED_MEDIA_TYPE') return 415;
  if (code === 'MALFORMED_JSON') return 400;
  return 422;
}
