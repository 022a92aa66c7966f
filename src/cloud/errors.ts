/**
 * The control plane's errors, one class per rule of docs/error-codes.md#rules-the-control-plane-enforces. Each class's `name` is the stable code
 * (see `NatflowError`), so ASL `Catch` clauses, problem documents and CLI output all carry it unchanged.
 * The codes, their HTTP statuses and their Huawei equivalents are declared once, in `src/codes/codes.ts`.
 *
 * `RULE_ORDER` is the table's order: for one create, rules are checked in this order and the first one
 * broken is reported, which makes the reported code deterministic when an entry breaks several rules.
 */
import { type ErrorCode, RULE_ORDER, type RuleCode, type Signal } from '../codes/codes.ts';
import { InvalidAddressError, InvalidCidrError, InvalidPortSpecError, NatflowError } from '../net/errors.ts';

/** The codes of the rules table in the table's order (the order rules are checked for one create). */
export {
  type ErrorCode,
  InvalidAddressError,
  InvalidCidrError,
  InvalidPortSpecError,
  NatflowError,
  RULE_ORDER,
  type RuleCode,
};

export class CidrOutOfRangeError extends NatflowError {
  override name: ErrorCode = 'CIDR_OUT_OF_RANGE';
}
export class SubnetOverlapError extends NatflowError {
  override name: ErrorCode = 'SUBNET_OVERLAP';
}
export class IpNotInSubnetError extends NatflowError {
  override name: ErrorCode = 'IP_NOT_IN_SUBNET';
}
export class IpReservedError extends NatflowError {
  override name: ErrorCode = 'IP_RESERVED';
}
export class IpInUseError extends NatflowError {
  override name: ErrorCode = 'IP_IN_USE';
}
export class SubnetExhaustedError extends NatflowError {
  override name: ErrorCode = 'SUBNET_EXHAUSTED';
}
export class TransitIpInTargetVpcError extends NatflowError {
  override name: ErrorCode = 'TRANSIT_IP_IN_TARGET_VPC';
}
export class TargetNotInGatewayVpcError extends NatflowError {
  override name: ErrorCode = 'TARGET_NOT_IN_GATEWAY_VPC';
}
export class LbAlreadyMappedError extends NatflowError {
  override name: ErrorCode = 'LB_ALREADY_MAPPED';
}
export class DnatPortConflictError extends NatflowError {
  override name: ErrorCode = 'DNAT_PORT_CONFLICT';
}
export class PortTypeConflictError extends NatflowError {
  override name: ErrorCode = 'PORT_TYPE_CONFLICT';
}
export class TransitIpSharedError extends NatflowError {
  override name: ErrorCode = 'TRANSIT_IP_SHARED';
}
export class SnatSourceConflictError extends NatflowError {
  override name: ErrorCode = 'SNAT_SOURCE_CONFLICT';
}
export class GatewayNotActiveError extends NatflowError {
  override name: ErrorCode = 'GATEWAY_NOT_ACTIVE';
}
export class QuotaExceededError extends NatflowError {
  override name: ErrorCode = 'QUOTA_EXCEEDED';
}
export class DependencyViolationError extends NatflowError {
  override name: ErrorCode = 'DEPENDENCY_VIOLATION';
}
export class DuplicateNameError extends NatflowError {
  override name: ErrorCode = 'DUPLICATE_NAME';
}
export class MalformedPlanError extends NatflowError {
  override name: ErrorCode = 'MALFORMED_PLAN';
}
export class PlanChangedError extends NatflowError {
  override name: ErrorCode = 'PLAN_CHANGED';
}
export class VerificationFailedError extends NatflowError {
  override name: ErrorCode = 'VERIFICATION_FAILED';
}
export class NotFoundError extends NatflowError {
  override name: ErrorCode = 'NOT_FOUND';
}
export class ValidationFailedError extends NatflowError {
  override name: ErrorCode = 'VALIDATION_FAILED';
}
/**
 * The cloud drifted in a way only replacing a resource would repair (docs/real-cloud.md#change-drift): a
 * managed field changed that the cloud cannot update in place. natflow refuses rather than replaces.
 */
export class DriftRequiresReplaceError extends NatflowError {
  override name: ErrorCode = 'DRIFT_REQUIRES_REPLACE';
}
/** A name matches several resources; `details.ids` lists them. */
export class AmbiguousNameError extends NatflowError {
  override name: ErrorCode = 'AMBIGUOUS_NAME';
}

/**
 * A passing fault (a throttled store, a timeout): ASL `Retry` matches `Natflow.Transient` and retries
 * with backoff and jitter; anything else is permanent and goes to `Catch` → Rollback.
 */
export class TransientError extends NatflowError {
  override name: Signal = 'Natflow.Transient';
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

// ------------------------------------------------------------- a real cloud's own refusals (docs/clouds.md)

/** The cloud refused natflow's credentials (HTTP 401/403): the AK/SK, the token or the project id. */
export class CloudAuthFailedError extends NatflowError {
  override name: ErrorCode = 'CLOUD_AUTH_FAILED';
}
/** The cloud refused a request for a reason with no rule equivalent; its own code is in `details`. */
export class CloudRejectedError extends NatflowError {
  override name: ErrorCode = 'CLOUD_REJECTED';
}
/** An asynchronous resource ended in failure (an ECS job `FAIL`, a load balancer `ERROR`). */
export class CloudResourceFailedError extends NatflowError {
  override name: ErrorCode = 'CLOUD_RESOURCE_FAILED';
}
/** A resource did not become ready (or go away) within the polling bound. */
export class CloudTimeoutError extends NatflowError {
  override name: ErrorCode = 'CLOUD_TIMEOUT';
}
/**
 * A resource a create depends on is still being provisioned (a VPC `CREATING`, a load balancer
 * `PENDING_CREATE`): the workflow's Retry on `Natflow.NotReady` waits and runs the step again (a
 * bounded loop in the state machine, never a sleep in a Lambda); exhausted, the execution fails with
 * CLOUD_TIMEOUT (`normalizeFailure`).
 */
export class NotReadyError extends NatflowError {
  override name: Signal = 'Natflow.NotReady';
}
