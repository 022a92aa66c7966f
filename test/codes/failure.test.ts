/**
 * The failure document (docs/real-cloud.md#failure), read from every shape a cause comes in, and the
 * `errorMessage` a handler's error leaves with — what a cloud answered travels in it, a trace never does.
 */
import { describe, expect, it } from 'vitest';
import { CloudRejectedError, NatflowError, TransientError } from '../../src/cloud/errors.ts';
import {
  causeText,
  codeOfError,
  failureDocumentOf,
  readErrorMessage,
  wireMessageOf,
} from '../../src/codes/failure.ts';

const CLOUD = { code: 'NAT.1310', message: 'the transit IP and port are in use', requestId: 'req-1' };
const lambdaCause = (errorType: string, errorMessage: string, trace: string[] = []) =>
  JSON.stringify({ errorType, errorMessage, trace });

describe('Function: wireMessageOf', () => {
  it('leaves a message without a cloud answer as it is', () => {
    expect(wireMessageOf(new NatflowError('no DNAT rule for tcp 22'))).toBe('no DNAT rule for tcp 22');
  });

  it('carries what the cloud answered as JSON, which readErrorMessage reads back', () => {
    const error = new CloudRejectedError('Huawei Cloud refused the request — NAT CreatePrivateDnat', {
      details: { cloud: CLOUD, huaweiCode: 'NAT.1310' },
    });
    const wire = wireMessageOf(error);
    expect(JSON.parse(wire)).toEqual({ message: error.message, cloud: CLOUD });
    expect(readErrorMessage(wire)).toEqual({ message: error.message, cloud: CLOUD });
  });

  it('drops the frames and source paths a message may hold', () => {
    const error = new Error(
      'boom\n    at f (file:///app/src/x.ts:3:9)\n    at g (/app/node_modules/y/z.js:1:1)',
    );
    expect(wireMessageOf(error)).toBe('boom');
  });
});

describe('Function: failureDocumentOf', () => {
  it.each([
    [
      'plain text',
      'DNAT_PORT_CONFLICT',
      'transit IP busy',
      { code: 'DNAT_PORT_CONFLICT', message: 'transit IP busy' },
    ],
    ['nothing', 'UserStop', undefined, { code: 'UserStop', message: 'UserStop' }],
    [
      "Lambda's cause, its trace dropped",
      'TypeError',
      lambdaCause('TypeError', 'x is null', ['TypeError: x is null', '    at f (file:///app/src/a.ts:1:1)']),
      { code: 'TypeError', message: 'x is null' },
    ],
    [
      "Lambda's cause with the cloud's answer",
      'CLOUD_REJECTED',
      lambdaCause('CLOUD_REJECTED', JSON.stringify({ message: 'refused', cloud: CLOUD })),
      { code: 'CLOUD_REJECTED', message: 'refused', cloud: CLOUD },
    ],
    [
      'a retry signal given up on',
      'Natflow.Transient',
      lambdaCause('Natflow.Transient', 'connect ECONNREFUSED 127.0.0.1:9'),
      { code: 'CLOUD_UNAVAILABLE', message: 'connect ECONNREFUSED 127.0.0.1:9' },
    ],
    [
      'the document already',
      'CLOUD_TIMEOUT',
      causeText({
        code: 'CLOUD_TIMEOUT',
        message: 'ECS-B still BUILD',
        rollback: { status: 'INCOMPLETE', leftBehind: [{ kind: 'vpc', name: 'VPC-A', externalId: 'v-1' }] },
      }),
      {
        code: 'CLOUD_TIMEOUT',
        message: 'ECS-B still BUILD',
        rollback: { status: 'INCOMPLETE', leftBehind: [{ kind: 'vpc', name: 'VPC-A', externalId: 'v-1' }] },
      },
    ],
    ['JSON that is none of these', 'X', '{"a":1}', { code: 'X', message: '{"a":1}' }],
  ])('reads %s', (_shape, error, cause, expected) => {
    expect(failureDocumentOf(error, cause)).toEqual(expected);
  });

  it('names the code of each retry signal, and leaves any other name as it is', () => {
    expect(codeOfError('Natflow.NotReady')).toBe('CLOUD_TIMEOUT');
    expect(codeOfError(new TransientError('x').name)).toBe('CLOUD_UNAVAILABLE');
    expect(codeOfError('DNAT_PORT_CONFLICT')).toBe('DNAT_PORT_CONFLICT');
  });
});
