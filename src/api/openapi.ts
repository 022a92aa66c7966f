/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas of `routes.ts` with zod 4's
 * `z.toJSONSchema` (JSON Schema 2020-12, OpenAPI 3.1's dialect). Schemas with a `meta({id})` become
 * `components.schemas`; request bodies and query parameters are described as accepted (`io: input`),
 * responses as returned (`io: output`). Every error is a `Problem` (RFC 9457).
 *
 * `docs/openapi.json` is this document, kept equal by a test. Regenerate it with
 * `node_modules/.bin/node src/api/openapi.ts --write`.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CloudNameSchema } from '../cloud/resources.ts';
import { CLOUD_NAMES } from '../providers/registry.ts';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from './problem.ts';
import { API_ROUTES, type ApiRouteSpec } from './routes.ts';

type Json = Record<string, unknown>;

const VERSION = '0.1.0';

/** Statuses every route may answer, besides its own. */
const COMMON_ERRORS = [401, 405, 500, 503] as const;
const BODY_ERRORS = [400, 413, 415] as const;

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Malformed JSON (MALFORMED_JSON)',
  401: 'Missing or wrong bearer token (local stacks with NATFLOW_TOKEN)',
  404: 'Not found (NOT_FOUND)',
  405: 'Method not allowed on this path (METHOD_NOT_ALLOWED)',
  409: 'Conflict: EXECUTION_ALREADY_EXISTS or a control-plane rule (docs/error-codes.md#rules-the-control-plane-enforces)',
  413: 'Body over 256 KB, 2 MB for POST /dnat/evaluate (PAYLOAD_TOO_LARGE)',
  415: 'Body is not JSON (UNSUPPORTED_MEDIA_TYPE)',
  422: 'Invalid plan or body: every problem listed by path',
  500: "natflow's own fault (no detail is disclosed)",
  503: 'The local stack is at its cap of requests in flight (OVERLOADED), with Retry-After',
};

export function buildOpenApi(): Json {
  const components: Record<string, Json> = {};

  /** A schema as JSON Schema, its named parts hoisted into `components.schemas`. */
  const convert = (schema: z.ZodType, io: 'input' | 'output'): Json => {
    const json = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      // `Resource.cloud` is a plain string in the core (it cannot see the registry): the document
      // lists the registry's names, as the plan's `cloud:` does.
      override: ({ zodSchema, jsonSchema }) => {
        if (zodSchema === CloudNameSchema) jsonSchema.enum = [...CLOUD_NAMES];
      },
    }) as Json;
    const defs = (json.$defs ?? {}) as Record<string, Json>;
    delete json.$defs;
    delete json.$schema;
    const renames = new Map<string, string>();
    for (const [id, def] of Object.entries(defs)) {
      const existing = components[id];
      if (existing && JSON.stringify(existing) !== JSON.stringify(def)) {
        renames.set(id, `${id}${io === 'input' ? 'Input' : 'Output'}`);
      }
    }
    const rewrite = (value: Json): Json =>
      JSON.parse(
        JSON.stringify(value).replace(/"#\/\$defs\/([^"]+)"/g, (_, id: string) => {
          return JSON.stringify(`#/components/schemas/${renames.get(id) ?? id}`);
        }),
      ) as Json;
    for (const [id, def] of Object.entries(defs)) components[renames.get(id) ?? id] = rewrite(def);
    return rewrite(json);
  };

  const problemRef = convert(ProblemSchema, 'output');
  const responses: Record<string, Json> = {};
  for (const [status, description] of Object.entries(ERROR_DESCRIPTIONS)) {
    responses[`Problem${status}`] = {
      description,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } },
    };
  }

  const paths: Record<string, Record<string, Json>> = {};
  for (const route of API_ROUTES) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route, convert) };
  }

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'natflow',
      version: VERSION,
      description:
        "Provisions, evaluates and verifies cross-VPC access through a private NAT gateway's DNAT rules. " +
        'On AWS the API is an API Gateway REST API with AWS_IAM authorization (SigV4); locally it is ' +
        'http://127.0.0.1:3000 (`natflow up`), with an optional bearer token (NATFLOW_TOKEN).',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'the local stack (natflow up)' }],
    security: [{ sigv4: [] }, { bearer: [] }],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
      responses,
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 (API Gateway AWS_IAM authorization)',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
        bearer: { type: 'http', scheme: 'bearer', description: 'NATFLOW_TOKEN of a local stack' },
      },
    },
  };
}

function operation(route: ApiRouteSpec, convert: (schema: z.ZodType, io: 'input' | 'output') => Json): Json {
  const parameters: Json[] = [];
  const addParameters = (schema: z.ZodObject | undefined, where: 'path' | 'query') => {
    if (!schema) return;
    const json = convert(schema, 'input');
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, property] of Object.entries((json.properties ?? {}) as Record<string, Json>)) {
      const { description, ...rest } = property;
      parameters.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  };
  addParameters(route.params, 'path');
  addParameters(route.query, 'query');

  const errors = new Set<number>([...route.errors, ...COMMON_ERRORS, ...(route.body ? BODY_ERRORS : [])]);
  // Liveness is never refused for load.
  if (route.path === '/health') errors.delete(503);
  const responses: Record<string, Json> = {
    [String(route.status)]: {
      description: route.status === 201 ? 'Started' : 'OK',
      content: { 'application/json': { schema: convert(route.response, 'output') } },
    },
    ...(route.alternative
      ? {
          [String(route.alternative.status)]: {
            description: route.alternative.description,
            content: { 'application/json': { schema: convert(route.alternative.response, 'output') } },
          },
        }
      : {}),
  };
  for (const status of [...errors].sort())
    responses[String(status)] = { $ref: `#/components/responses/Problem${status}` };

  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.path === '/health' ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: route.bodyRequired ?? true,
            content: { 'application/json': { schema: convert(route.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

export const OPENAPI_FILE = resolve(import.meta.dirname, '../../docs/openapi.json');

export function openApiText(): string {
  return `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--write')) {
    writeFileSync(OPENAPI_FILE, openApiText());
    process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
  } else {
    process.stdout.write(openApiText());
  }
}
