/**
 * The control plane's errors, one class per rule of DESIGN §3.2. Each class's `name` is the stable code
 * (see `NatflowError`), so ASL `Catch` clauses, problem documents and CLI output all carry it unchanged.
 *
 * `RULE_ORDER` is the table's order: for one create, rules are checked in this order and the first one
 * broken is reported, which makes the reported code deterministic when an entry breaks several rules.
 */
import { InvalidAddressError, InvalidCidrError, InvalidPortSpecError, NatflowError } from '../net/errors.ts';

export { InvalidAddressError, InvalidCidrError, InvalidPortSpecError, NatflowError };

export class CidrOutOfRangeError extends NatflowError {
  override name = 'CIDR_OUT_OF_RANGE';
}
export class SubnetOverlapError extends NatflowError {
  override name = 'SUBNET_OVERLAP';
}
export class IpNotInSubnetError extends NatflowError {
  override name = 'IP_NOT_IN_SUBNET';
}
export class IpReservedError extends NatflowError {
  override name = 'IP_RESERVED';
}
export class IpInUseError extends NatflowError {
  override name = 'IP_IN_USE';
}
export class SubnetExhaustedError extends NatflowError {
  override name = 'SUBNET_EXHAUSTED';
}
export class TransitIpInTargetVpcError extends NatflowError {
  override name = 'TRANSIT_IP_IN_TARGET_VPC';
}
export class TargetNotInGatewayVpcError extends NatflowError {
  override name = 'TARGET_NOT_IN_GATEWAY_VPC';
}
export class LbAlreadyMappedError extends NatflowError {
  override name = 'LB_ALREADY_MAPPED';
}
export class DnatPortConflictError extends NatflowError {
  override name = 'DNAT_PORT_CONFLICT';
}
export class PortTypeConflictError extends NatflowError {
  override name = 'PORT_TYPE_CONFLICT';
}
export class TransitIpSharedError extends NatflowError {
  override name = 'TRANSIT_IP_SHARED';
}
export class SnatSourceConflictError extends NatflowError {
  override name = 'SNAT_SOURCE_CONFLICT';
}
export class GatewayNotActiveError extends NatflowError {
  override name = 'GATEWAY_NOT_ACTIVE';
}
export class QuotaExceededError extends NatflowError {
  override name = 'QUOTA_EXCEEDED';
}
export class DependencyViolationError extends NatflowError {
  override name = 'DEPENDENCY_VIOLATION';
}
export class DuplicateNameError extends NatflowError {
  override name = 'DUPLICATE_NAME';
}
export class MalformedPlanError extends NatflowError {
  override name = 'MALFORMED_PLAN';
}
export class PlanChangedError extends NatflowError {
  override name = 'PLAN_CHANGED';
}
export class VerificationFailedError extends NatflowError {
  override name = 'VERIFICATION_FAILED';
}
export class NotFoundError extends NatflowError {
  override name = 'NOT_FOUND';
}
export class ValidationFailedError extends NatflowError {
  override name = 'VALIDATION_FAILED';
}
/** A name matches several resources; `details.ids` lists them. */
export class AmbiguousNameError extends NatflowError {
  override name = 'AMBIGUOUS_NAME';
}

/**
 * A passing fault (a throttled store, a timeout): ASL `Retry` matches `Natflow.Transient` and retries
 * with backoff and jitter; anything else is permanent and goes to `Catch` → Rollback.
 */
export class TransientError extends NatflowError {
  override name = 'Natflow.Transient';
}

/** One problem of an input, as validate documents and problem details list them. */
export interface Issue {
  path: string;
  code: string;
  message: string;
}

/** Many problems at once (an invalid plan or body); `name` is the first problem's code. */
export class InvalidInputError extends NatflowError {
  readonly issues: readonly Issue[];

  constructor(issues: readonly Issue[], message?: string) {
    const first = issues[0];
    super(message ?? (first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'invalid input'), {
      ...(first?.path ? { path: first.path } : {}),
    });
    this.issues = issues;
    this.name = first?.code ?? 'VALIDATION_FAILED';
  }
}

/** The codes of §3.2 in the table's order (the order rules are checked for one create). */
export const RULE_ORDER = [
  'INVALID_CIDR',
  'CIDR_OUT_OF_RANGE',
  'SUBNET_OVERLAP',
  'IP_NOT_IN_SUBNET',
  'IP_RESERVED',
  'IP_IN_USE',
  'SUBNET_EXHAUSTED',
  'TRANSIT_IP_IN_TARGET_VPC',
  'TARGET_NOT_IN_GATEWAY_VPC',
  'LB_ALREADY_MAPPED',
  'DNAT_PORT_CONFLICT',
  'PORT_TYPE_CONFLICT',
  'INVALID_PORT_SPEC',
  'TRANSIT_IP_SHARED',
  'SNAT_SOURCE_CONFLICT',
  'GATEWAY_NOT_ACTIVE',
  'QUOTA_EXCEEDED',
  'DEPENDENCY_VIOLATION',
  'INVALID_ADDRESS',
  'DUPLICATE_NAME',
  'MALFORMED_PLAN',
  'PLAN_CHANGED',
  'VERIFICATION_FAILED',
  'NOT_FOUND',
  'VALIDATION_FAILED',
] as const;

export type ErrorCode = (typeof RULE_ORDER)[number];
