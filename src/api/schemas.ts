/**
 * The HTTP API's request and response bodies (docs/http-api.md) as zod schemas: the handlers validate with
 * them and `openapi.ts` generates the OpenAPI document from them, so the two cannot drift.
 *
 * Query strings arrive as text: numeric parameters are coerced. Bodies are strict objects where natflow
 * owns the shape (an unknown field is an error, not silently ignored).
 */
import { z } from 'zod';
import { FieldDriftSchema as CoreFieldDriftSchema } from '../cloud/drift.ts';
import { RESOURCE_TYPES } from '../cloud/resources.ts';
import {
  EvaluateRequestSchema as DnatEvaluateRequestSchema,
  EvaluateResponseSchema as DnatEvaluateResponseSchema,
} from '../dnat/api.ts';
import { PlanNameSchema } from '../plan/plan.ts';
import { WORKFLOWS } from '../workflow/workflows.ts';

export const EXECUTION_STATUSES = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
] as const;

export const WorkflowSchema = z.enum(WORKFLOWS).meta({ id: 'Workflow' });

/** Step Functions' execution names: 1–80 of A–Z, a–z, 0–9, `-` and `_`. */
export const ExecutionNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,80}$/, 'an execution name is 1–80 characters of A-Z, a-z, 0-9, - and _');

export const StartExecutionRequestSchema = z
  .strictObject({
    workflow: WorkflowSchema,
    input: z.unknown().optional().meta({
      description: 'provision: the plan (docs/plan-format.md); verify: {plan?: NAME}; teardown: {plan: NAME}',
    }),
    name: ExecutionNameSchema.optional().meta({
      description: 'the execution name; without one natflow generates <plan>-<time>',
    }),
  })
  .meta({ id: 'StartExecutionRequest' });

/** `verify` verifies one plan, or every plan without one. */
export const VerifyInputSchema = z
  .strictObject({ plan: PlanNameSchema.optional() })
  .meta({ id: 'VerifyInput' });
export const TeardownInputSchema = z.strictObject({ plan: PlanNameSchema }).meta({ id: 'TeardownInput' });

export const StartExecutionResponseSchema = z
  .object({
    executionArn: z.string(),
    name: z.string(),
    workflow: WorkflowSchema,
    startDate: z.string().meta({ format: 'date-time' }),
  })
  .meta({ id: 'StartedExecution' });

/** A teardown of a plan with nothing recorded starts nothing: 200 with this (docs/http-api.md). */
export const NothingToTearDownSchema = z
  .object({
    plan: z.string(),
    nothing: z.literal(true).meta({ description: 'nothing is recorded to the plan: no execution started' }),
  })
  .meta({ id: 'NothingToTearDown' });

export const ExecutionIdParamsSchema = z.object({
  id: z.string().min(1).meta({ description: "the URL-encoded execution ARN or the execution's name" }),
});

const LimitSchema = z.coerce.number().int().min(1).max(1000);

export const ListExecutionsQuerySchema = z.object({
  workflow: WorkflowSchema.optional(),
  status: z.enum(EXECUTION_STATUSES).optional(),
  limit: LimitSchema.default(100),
  nextToken: z.string().min(1).max(4096).optional(),
  q: z.string().min(1).max(200).optional().meta({
    description:
      "text to find, without regard to case, in an execution's name, plan or input (within the executions a request reads: docs/http-api.md)",
  }),
  plan: PlanNameSchema.optional().meta({ description: 'only the executions of this plan' }),
});

export const ExecutionSummarySchema = z
  .object({
    executionArn: z.string(),
    stateMachineArn: z.string(),
    workflow: WorkflowSchema.optional(),
    name: z.string(),
    status: z.enum(EXECUTION_STATUSES),
    startDate: z.string().meta({ format: 'date-time' }),
    stopDate: z.string().meta({ format: 'date-time' }).optional(),
    onFailure: z.enum(['rollback', 'keep']).optional().meta({
      description: "a provisioning's onFailure (docs/plan-format.md): keep runs the variant without Catch",
    }),
    redriveCount: z.number().int().optional().meta({ description: 'how many times it was redriven' }),
    redriveDate: z.string().meta({ format: 'date-time' }).optional(),
    plan: z.string().optional().meta({
      description:
        'the plan it ran for: from its input in a search (q, plan), else from a generated name (`<plan>-<time>-<hex>`)',
    }),
  })
  .meta({ id: 'ExecutionSummary' });

export const ExecutionListSchema = z
  .object({
    executions: z.array(ExecutionSummarySchema),
    nextToken: z.string().optional(),
    scanned: z
      .number()
      .int()
      .optional()
      .meta({ description: 'a search (q, plan): how many executions this page read to find these' }),
  })
  .meta({ id: 'ExecutionList' });

/** The failure document of docs/real-cloud.md#failure: an execution's `cause`, shown as an object. */
export const FailureDocumentSchema = z
  .object({
    code: z.string().meta({ description: "the failing step's code (docs/error-codes.md)" }),
    message: z.string(),
    cloud: z
      .object({ code: z.string().optional(), message: z.string(), requestId: z.string().optional() })
      .optional()
      .meta({ description: 'what the cloud itself answered, when it answered' }),
    rollback: z
      .object({
        status: z.enum(['COMPLETE', 'INCOMPLETE']),
        leftBehind: z.array(
          z.object({
            kind: z.string(),
            name: z.string(),
            externalId: z
              .string()
              .optional()
              .meta({ description: 'absent for an intent the cloud never confirmed' }),
            cloudStatus: z.string().optional(),
            error: z.string().optional(),
          }),
        ),
      })
      .optional()
      .meta({ description: 'how the rollback after the failure ended, and what it left behind' }),
    verification: z.unknown().optional().meta({
      description: 'VERIFICATION_FAILED of the verify workflow: {ok, plans: [{plan, cloud, ok, entries}]}',
    }),
  })
  .meta({ id: 'Failure' });

export const ExecutionSchema = ExecutionSummarySchema.extend({
  input: z.unknown().meta({ description: 'the execution input, as JSON (not a string)' }),
  output: z.unknown().optional().meta({ description: 'the output of a SUCCEEDED execution, as JSON' }),
  error: z
    .string()
    .optional()
    .meta({ description: 'the error code of a FAILED execution (docs/error-codes.md)' }),
  cause: FailureDocumentSchema.optional().meta({
    description:
      'why it failed, as a document (docs/real-cloud.md#failure): the error, what the cloud said, what a rollback left behind',
  }),
  redriveStatus: z.enum(['REDRIVABLE', 'NOT_REDRIVABLE', 'REDRIVABLE_BY_MAP_RUN']).optional(),
  redriveStatusReason: z.string().optional(),
}).meta({ id: 'Execution' });

export const RedriveResponseSchema = z
  .object({
    executionArn: z.string(),
    status: z.enum(EXECUTION_STATUSES),
    redriveDate: z.string().meta({ format: 'date-time' }),
  })
  .meta({ id: 'RedrivenExecution' });

export const RollbackResponseSchema = z
  .object({
    executionArn: z.string(),
    deleted: z.array(z.string()).meta({ description: 'the ids of the resources deleted, in order' }),
    rollbackExecutionArn: z
      .string()
      .optional()
      .meta({ description: 'the rollback state machine execution, where one is deployed' }),
  })
  .meta({ id: 'RolledBackExecution' });

export const HistoryQuerySchema = z.object({
  limit: LimitSchema.default(1000),
  nextToken: z.string().min(1).max(4096).optional(),
  reverseOrder: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
});

export const HistoryEventSchema = z
  .looseObject({
    id: z.number().int(),
    previousEventId: z.number().int().optional(),
    type: z.string(),
    timestamp: z.string().meta({ format: 'date-time' }),
  })
  .meta({ id: 'HistoryEvent', description: "a GetExecutionHistory event with its type's details object" });

export const HistorySchema = z
  .object({ events: z.array(HistoryEventSchema), nextToken: z.string().optional() })
  .meta({ id: 'ExecutionHistory' });

export const StopExecutionRequestSchema = z
  .strictObject({
    error: z.string().max(256).optional(),
    cause: z.string().max(32768).optional(),
  })
  .optional()
  .meta({ id: 'StopExecutionRequest' });

export const StopExecutionResponseSchema = z
  .object({
    executionArn: z.string(),
    status: z.enum(EXECUTION_STATUSES),
    stopDate: z.string().meta({ format: 'date-time' }),
  })
  .meta({ id: 'StoppedExecution' });

export const ValidationSummarySchema = z
  .object({
    plan: z.string(),
    entries: z.record(z.string(), z.number().int()).meta({ description: 'entries per section of the plan' }),
    toCreate: z.number().int().meta({ description: 'resources the plan would create now' }),
    alreadyProvisioned: z.number().int().meta({ description: 'resources an earlier run already created' }),
    existing: z.number().int().meta({ description: 'entries that reference existing resources' }),
    addresses: z
      .record(z.string(), z.string())
      .meta({ description: 'the address each entry gets or keeps: servers.ECS-A → 192.168.0.2' }),
  })
  .meta({ id: 'ValidationSummary' });

export const ValidationResultSchema = z
  .object({
    valid: z.literal(true),
    errors: z.array(z.never()).meta({ description: 'always empty: an invalid plan is a 422 problem' }),
    summary: ValidationSummarySchema,
  })
  .meta({ id: 'ValidationResult' });

export const ResourceTypeSchema = z.enum(RESOURCE_TYPES).meta({ id: 'ResourceType' });

export const ListResourcesQuerySchema = z.object({
  type: ResourceTypeSchema.optional(),
  plan: PlanNameSchema.optional(),
});

/** GET /plans (docs/http-api.md): what has been provisioned, plan by plan. */
export const PlanListSchema = z
  .object({
    plans: z.array(
      z
        .object({
          plan: z.string(),
          cloud: z.string().meta({ description: 'the cloud that holds its resources (docs/clouds.md)' }),
          resources: z.number().int().min(0).meta({ description: 'how many resources it holds' }),
          lastExecution: z
            .object({
              name: z.string(),
              workflow: z.enum(['provision', 'verify', 'teardown']),
              status: z.string(),
              startDate: z.string(),
            })
            .optional()
            .meta({ description: 'its newest execution (a provisioning, verify or teardown)' }),
          lastVerification: z
            .object({ ok: z.boolean(), at: z.string() })
            .optional()
            .meta({ description: 'its newest verification: a verify, or a provisioning that verified it' }),
        })
        .meta({ id: 'PlanSummary' }),
    ),
  })
  .meta({ id: 'PlanList' });

export const ResourceIdParamsSchema = z.object({
  id: z.string().min(1).meta({ description: "a resource's id, or its name when unique (within ?plan=)" }),
});

export const ResourceQuerySchema = z.object({ plan: PlanNameSchema.optional() });

export const HealthSchema = z
  .object({
    status: z.literal('ok'),
    service: z.literal('natflow'),
    version: z.string(),
    time: z.string(),
    instance: z
      .string()
      .optional()
      .meta({ description: "a local stack's instance id, as its stack.json records it (none on AWS)" }),
  })
  .meta({ id: 'Health' });

/** The evaluate contract is the DNAT engine's own (shared with the Lambda and the CLI). */
export const EvaluateRequestSchema = DnatEvaluateRequestSchema.meta({
  id: 'EvaluateRequest',
  description:
    "packets: each 'tcp 192.168.0.10:40000 > 192.168.0.144:80 [syn]' or {protocol, src, dst, direction?, tcpFlags?}; a malformed packet gets INVALID_PACKET and the others are still answered",
});
export const EvaluateResponseSchema = DnatEvaluateResponseSchema.meta({ id: 'EvaluateResponse' });

export const ProbeRequestSchema = z
  .strictObject({
    from: z.string().min(1).meta({ description: "a server's name or id" }),
    to: z.string().min(1).meta({ description: "an address or a transit IP's (or server's) name" }),
    protocol: z.enum(['http', 'tcp', 'udp']),
    port: z.number().int().min(1).max(65535),
    mode: z.enum(['analyze', 'live', 'both']).optional(),
    plan: PlanNameSchema.optional().meta({ description: 'names resolve within this plan' }),
  })
  .meta({ id: 'ProbeRequest' });

export const ProbeResponseSchema = z
  .looseObject({
    verdict: z.enum(['REACHABLE', 'UNREACHABLE']),
    code: z.string().optional(),
    hops: z.array(z.unknown()),
    live: z
      .looseObject({ ok: z.boolean(), status: z.union([z.number(), z.string()]), latencyMs: z.number() })
      .optional(),
  })
  .meta({ id: 'ProbeReport' });

const TopologyFlag = z
  .boolean()
  .optional()
  .meta({ description: 'also answer `topology`: the resources the paths go through (for a picture)' });

/** POST /plans/preview (docs/preview.md): a plan to preview, or the name of a plan whose teardown to preview. */
export const PreviewRequestSchema = z
  .union([
    z.strictObject({
      plan: z.unknown().meta({ description: 'the plan document (docs/plan-format.md)' }),
      topology: TopologyFlag,
    }),
    z.strictObject({
      destroy: PlanNameSchema.meta({ description: 'the plan whose teardown to preview' }),
      topology: TopologyFlag,
    }),
  ])
  .meta({ id: 'PreviewRequest' });

const PreviewIssueSchema = z.object({ path: z.string(), code: z.string(), message: z.string() });

const PathStateSchema = z.object({
  verdict: z.enum(['REACHABLE', 'UNREACHABLE']),
  code: z.string().optional().meta({ description: "the probe's explanation code (docs/probe.md)" }),
});

export const PreviewPathSchema = z
  .object({
    from: z.string().meta({ description: "the source server's name" }),
    to: z.string().meta({ description: "the transit IP's address and port, ip:port" }),
    protocol: z.enum(['tcp', 'udp']),
    port: z.number().int(),
    before: PathStateSchema,
    after: PathStateSchema,
    rule: z.string().meta({ description: 'the plan path of the DNAT rule the path goes through' }),
  })
  .meta({ id: 'PreviewPath' });

/** A managed field the cloud holds otherwise (docs/real-cloud.md#change-drift). */
export const FieldDriftSchema = CoreFieldDriftSchema.extend({
  field: z.string().meta({ description: "natflow's name of the field: internalPort, spec, inbound…" }),
  recorded: z.unknown().meta({ description: 'what natflow recorded (the plan says)' }),
  actual: z.unknown().meta({ description: 'what the cloud holds now' }),
}).meta({ id: 'FieldDrift' });

export const PreviewSchema = z
  .object({
    plan: z.string(),
    mode: z.enum(['apply', 'destroy']),
    actions: z.array(
      z.object({
        entry: z.string().meta({ description: 'the plan path: privateNatGateways[0].dnatRules[0]' }),
        kind: ResourceTypeSchema,
        name: z.string(),
        action: z.enum(['create', 'unchanged', 'differs', 'drifted', 'conflict', 'existing', 'destroy']),
        code: z.string().optional(),
        errors: z.array(PreviewIssueSchema).optional(),
        id: z.string().optional(),
        address: z.string().optional(),
        gone: z
          .literal(true)
          .optional()
          .meta({ description: 'create: natflow recorded it and it is gone from the cloud (recreated)' }),
        fields: z.array(FieldDriftSchema).optional().meta({
          description: 'drifted, or a DRIFT_REQUIRES_REPLACE conflict: the fields changed in the cloud',
        }),
      }),
    ),
    summary: z.object({
      create: z.number().int(),
      unchanged: z.number().int(),
      differs: z.number().int(),
      conflicts: z.number().int(),
      existing: z.number().int(),
      destroy: z.number().int(),
      drifted: z
        .number()
        .int()
        .optional()
        .meta({ description: 'resources whose managed fields changed in the cloud; present when any' }),
    }),
    reachability: z.object({
      opened: z.array(PreviewPathSchema),
      closed: z.array(PreviewPathSchema),
      stillClosed: z.array(PreviewPathSchema),
      unchanged: z.number().int(),
    }),
    topology: z
      .array(z.looseObject({ id: z.string(), type: ResourceTypeSchema, name: z.string() }))
      .optional()
      .meta({
        description: 'with topology: true, the resources of the picture (created ones with dry-run ids)',
      }),
  })
  .meta({ id: 'Preview' });
