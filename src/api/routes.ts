/**
 * The HTTP API's routes (docs/http-api.md) with the schemas of what each takes and returns: the table the
 * OpenAPI document is generated from. serverless.yml's `http` events declare the same routes for API
 * Gateway and the local server (a test keeps the two equal).
 */
import { z } from 'zod';
import { ResourceSchema } from '../cloud/resources.ts';
import { PlanSchema } from '../plan/plan.ts';
import {
  EvaluateRequestSchema,
  EvaluateResponseSchema,
  ExecutionIdParamsSchema,
  ExecutionListSchema,
  ExecutionSchema,
  HealthSchema,
  HistoryQuerySchema,
  HistorySchema,
  ListExecutionsQuerySchema,
  ListResourcesQuerySchema,
  NothingToTearDownSchema,
  PlanListSchema,
  PreviewRequestSchema,
  PreviewSchema,
  ProbeRequestSchema,
  ProbeResponseSchema,
  RedriveResponseSchema,
  ResourceIdParamsSchema,
  ResourceQuerySchema,
  RollbackResponseSchema,
  StartExecutionRequestSchema,
  StartExecutionResponseSchema,
  StopExecutionRequestSchema,
  StopExecutionResponseSchema,
  ValidationResultSchema,
} from './schemas.ts';

const ResourceDocumentSchema = ResourceSchema.meta({ id: 'Resource' });

export interface ApiRouteSpec {
  method: 'GET' | 'POST';
  path: string;
  operationId: string;
  summary: string;
  /** The serverless.yml function that serves it. */
  function: string;
  body?: z.ZodType;
  bodyRequired?: boolean;
  query?: z.ZodObject;
  params?: z.ZodObject;
  status: 200 | 201;
  response: z.ZodType;
  /** A second success it may answer (`POST /executions`: 200 when a teardown has nothing to do). */
  alternative?: { status: 200; description: string; response: z.ZodType };

  /** The error statuses this route can answer besides 400/413/415 (every body route) and 500. */
  errors: readonly number[];
}

export const API_ROUTES: readonly ApiRouteSpec[] = [
  {
    method: 'POST',
    path: '/plans/validate',
    operationId: 'validatePlan',
    summary: 'Validate a plan: shape and every control-plane rule as a dry run',
    function: 'apiValidatePlan',
    body: PlanSchema.meta({ id: 'Plan' }),
    bodyRequired: true,
    status: 200,
    response: ValidationResultSchema,
    errors: [409, 422],
  },
  {
    method: 'POST',
    path: '/plans/preview',
    operationId: 'previewPlan',
    summary: 'Preview a plan (or a teardown): actions, conflicts and the paths it opens or closes; read only',
    function: 'apiPreviewPlan',
    body: PreviewRequestSchema,
    bodyRequired: true,
    status: 200,
    response: PreviewSchema,
    errors: [404, 422],
  },
  {
    method: 'POST',
    path: '/executions',
    operationId: 'startExecution',
    summary: 'Start a workflow (an invalid plan starts nothing)',
    function: 'apiStartExecution',
    body: StartExecutionRequestSchema,
    bodyRequired: true,
    status: 201,
    response: StartExecutionResponseSchema,
    alternative: {
      status: 200,
      description: 'A teardown of a plan with nothing recorded: nothing started',
      response: NothingToTearDownSchema,
    },
    errors: [409, 422],
  },
  {
    method: 'GET',
    path: '/executions',
    operationId: 'listExecutions',
    summary: 'List executions, newest first',
    function: 'apiListExecutions',
    query: ListExecutionsQuerySchema,
    status: 200,
    response: ExecutionListSchema,
    errors: [422],
  },
  {
    method: 'GET',
    path: '/executions/{id}',
    operationId: 'describeExecution',
    summary: 'Describe an execution (by URL-encoded ARN or name)',
    function: 'apiDescribeExecution',
    params: ExecutionIdParamsSchema,
    status: 200,
    response: ExecutionSchema,
    errors: [404, 422],
  },
  {
    method: 'GET',
    path: '/executions/{id}/history',
    operationId: 'getExecutionHistory',
    summary: "An execution's history events",
    function: 'apiGetExecutionHistory',
    params: ExecutionIdParamsSchema,
    query: HistoryQuerySchema,
    status: 200,
    response: HistorySchema,
    errors: [404, 422],
  },
  {
    method: 'POST',
    path: '/executions/{id}/stop',
    operationId: 'stopExecution',
    summary: 'Stop a running execution (a stopped provisioning is rolled back)',
    function: 'apiStopExecution',
    params: ExecutionIdParamsSchema,
    body: StopExecutionRequestSchema,
    bodyRequired: false,
    status: 200,
    response: StopExecutionResponseSchema,
    errors: [404, 422],
  },
  {
    method: 'POST',
    path: '/executions/{id}/redrive',
    operationId: 'redriveExecution',
    summary: 'Redrive a kept failure (onFailure: keep) from the state where it failed',
    function: 'apiRedriveExecution',
    params: ExecutionIdParamsSchema,
    status: 200,
    response: RedriveResponseSchema,
    errors: [404, 409, 422],
  },
  {
    method: 'POST',
    path: '/executions/{id}/rollback',
    operationId: 'rollbackExecution',
    summary: "Roll back a kept failure's resources (onFailure: keep)",
    function: 'apiRollbackExecution',
    params: ExecutionIdParamsSchema,
    status: 200,
    response: RollbackResponseSchema,
    errors: [404, 409, 422],
  },
  {
    method: 'POST',
    path: '/dnat/evaluate',
    operationId: 'evaluateDnat',
    summary: "Evaluate a packet batch against a gateway's DNAT rules",
    function: 'apiEvaluateDnat',
    body: EvaluateRequestSchema,
    bodyRequired: true,
    status: 200,
    response: EvaluateResponseSchema,
    errors: [404, 422],
  },
  {
    method: 'POST',
    path: '/probes',
    operationId: 'probe',
    summary: 'Probe connectivity from a server to an address or transit IP',
    function: 'apiProbe',
    body: ProbeRequestSchema,
    bodyRequired: true,
    status: 200,
    response: ProbeResponseSchema,
    errors: [404, 422],
  },
  {
    method: 'GET',
    path: '/plans',
    operationId: 'listPlans',
    summary: 'The provisioned plans: cloud, resources, last execution and last verification',
    function: 'apiListPlans',
    status: 200,
    response: PlanListSchema,
    errors: [],
  },
  {
    method: 'GET',
    path: '/resources',
    operationId: 'listResources',
    summary: "The virtual cloud's resources",
    function: 'apiListResources',
    query: ListResourcesQuerySchema,
    status: 200,
    response: z.object({ resources: z.array(ResourceDocumentSchema) }).meta({ id: 'ResourceList' }),
    errors: [422],
  },
  {
    method: 'GET',
    path: '/resources/{id}',
    operationId: 'getResource',
    summary: 'One resource, by id or unique name',
    function: 'apiGetResource',
    params: ResourceIdParamsSchema,
    query: ResourceQuerySchema,
    status: 200,
    response: ResourceDocumentSchema,
    errors: [404, 422],
  },
  {
    method: 'GET',
    path: '/health',
    operationId: 'health',
    summary: 'Liveness',
    function: 'apiHealth',
    status: 200,
    response: HealthSchema,
    errors: [],
  },
  {
    method: 'GET',
    path: '/openapi.json',
    operationId: 'openApi',
    summary: 'This document',
    function: 'apiOpenApi',
    status: 200,
    response: z.record(z.string(), z.unknown()).meta({ id: 'OpenApiDocument' }),
    errors: [],
  },
];
