/** The API's mapping of natflow's codes to HTTP statuses (docs/http-api.md). */
import { describe, expect, it } from 'vitest';
import { httpStatusOf } from '../../src/api/http-status.ts';
import { InvalidPlanProblem, problemOf } from '../../src/api/problem.ts';
import { RULE_ORDER } from '../../src/cloud/errors.ts';

describe('Function: httpStatusOf', () => {
  it('answers 404 for NOT_FOUND, 409 for conflicts with existing state, 422 for bad input', () => {
    expect(httpStatusOf('NOT_FOUND')).toBe(404);
    expect(httpStatusOf('DNAT_PORT_CONFLICT')).toBe(409);
    expect(httpStatusOf('PLAN_CHANGED')).toBe(409);
    expect(httpStatusOf('EXECUTION_ALREADY_EXISTS')).toBe(409);
    expect(httpStatusOf('INVALID_CIDR')).toBe(422);
    expect(httpStatusOf('VALIDATION_FAILED')).toBe(422);
  });

  it('answers the transport codes their own statuses', () => {
    expect(httpStatusOf('MALFORMED_JSON')).toBe(400);
    expect(httpStatusOf('PAYLOAD_TOO_LARGE')).toBe(413);
    expect(httpStatusOf('UNSUPPORTED_MEDIA_TYPE')).toBe(415);
  });

  it('maps every rule code to 404, 409 or 422', () => {
    for (const code of RULE_ORDER) expect([404, 409, 422]).toContain(httpStatusOf(code));
  });
});

describe('Class: InvalidPlanProblem', () => {
  it.each([
    { first: 'NOT_FOUND', path: 'loadBalancers[0].vpc', status: 422 },
    { first: 'DNAT_PORT_CONFLICT', path: 'privateNatGateways[0].dnatRules[0].transitPort', status: 409 },
    { first: 'PLAN_CHANGED', path: 'cloud', status: 409 },
    { first: 'INVALID_CIDR', path: 'vpcs[0].cidr', status: 422 },
  ])(
    'answers an invalid plan whose first problem is $first with $status, listing every problem',
    ({ first, path, status }) => {
      // Prepare
      const issues = [
        { path, code: first, message: 'first' },
        { path: 'transitIps[0].ip', code: 'INVALID_ADDRESS', message: 'second' },
      ];
      // Act
      const { problem, internal } = problemOf(
        new InvalidPlanProblem(issues, 'the plan is invalid (2 problems)'),
      );
      // Assess
      expect(internal).toBe(false);
      expect(problem).toMatchObject({ status, code: first, type: `urn:natflow:problem:${first}` });
      expect(problem.errors).toEqual(issues);
    },
  );
});
