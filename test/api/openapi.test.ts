/**
 * The OpenAPI document is generated, never edited: docs/openapi.json must equal buildOpenApi(), and the
 * routes it documents must be exactly serverless.yml's http events (which the local server serves).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { buildOpenApi, OPENAPI_FILE, openApiText } from '../../src/api/openapi.ts';
import { API_ROUTES } from '../../src/api/routes.ts';
import { readServerlessConfig } from '../../src/stack/serverless-config.ts';

const config = readServerlessConfig();

describe('buildOpenApi', () => {
  it('equals docs/openapi.json (regenerate: node_modules/.bin/node src/api/openapi.ts --write)', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(openApiText());
  });

  it('is OpenAPI 3.1 whose every $ref resolves', () => {
    const document = buildOpenApi() as {
      openapi: string;
      components: Record<string, Record<string, unknown>>;
    };
    expect(document.openapi).toBe('3.1.0');
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/(\w+)\/([^"]+)"/g)];
    expect(refs.length).toBeGreaterThan(10);
    for (const [, section, name] of refs)
      expect(document.components[section as string]?.[name as string]).toBeDefined();
  });

  it('documents every error as a problem and every operation with an id', () => {
    const document = buildOpenApi() as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
    };
    for (const operations of Object.values(document.paths)) {
      for (const operation of Object.values(operations)) {
        expect(operation.operationId).toMatch(/^[a-zA-Z]+$/);
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) >= 400)
            expect(response).toEqual({ $ref: `#/components/responses/Problem${status}` });
        }
      }
    }
  });
});

describe('API_ROUTES', () => {
  it("are exactly serverless.yml's http events, each served by the function it names", () => {
    const declared = [...config.functions.values()].flatMap((fn) =>
      fn.http.map((h) => `${h.method} ${h.path} ${fn.name}`),
    );
    const documented = API_ROUTES.map((route) => `${route.method} ${route.path} ${route.function}`);
    expect(declared.sort()).toEqual(documented.sort());
  });
});

describe('infra/iam.cjs', () => {
  const iam = createRequire(import.meta.url)('../../infra/iam.cjs') as {
    ACCESS: Record<string, string[]>;
    logicalName: (name: string) => string;
  };

  it('grants a role to every function of serverless.yml, and to nothing else', () => {
    expect(Object.keys(iam.ACCESS).sort()).toEqual([...config.functions.keys()].sort());
    const raw = config.raw.functions as Record<string, { role?: string }>;
    for (const name of config.functions.keys()) expect(raw[name]?.role).toBe(`${iam.logicalName(name)}Role`);
  });
});
