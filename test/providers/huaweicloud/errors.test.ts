import { describe, expect, it } from 'vitest';
import { NatflowError, NotReadyError } from '../../../src/cloud/errors.ts';
import { mapHuaweiError } from '../../../src/providers/huaweicloud/errors.ts';
import { normalizeErrorBody } from '../../../src/providers/huaweicloud/hc.ts';

/** An SDK ServiceResponseException as HcClient throws it. */
function sdkError(httpStatusCode: number | undefined, errorCode?: string, errorMsg = 'refused') {
  return Object.assign(new Error(errorMsg), { httpStatusCode, errorCode, errorMsg, requestId: 'req-1' });
}

describe('Function: mapHuaweiError', () => {
  it.each([
    { code: 'NAT.1303', expected: 'TRANSIT_IP_IN_TARGET_VPC' },
    { code: 'NAT.1304', expected: 'TARGET_NOT_IN_GATEWAY_VPC' },
    { code: 'NAT.1310', expected: 'DNAT_PORT_CONFLICT' },
    { code: 'NAT.1309', expected: 'PORT_TYPE_CONFLICT' },
    { code: 'NAT.1410', expected: 'PORT_TYPE_CONFLICT' },
    { code: 'NAT.1305', expected: 'TRANSIT_IP_SHARED' },
    { code: 'NAT.1308', expected: 'TRANSIT_IP_SHARED' },
    { code: 'NAT.1306', expected: 'INVALID_PORT_SPEC' },
    { code: 'NAT.1207', expected: 'QUOTA_EXCEEDED' },
    { code: 'NAT.1208', expected: 'GATEWAY_NOT_ACTIVE' },
    { code: 'NAT.1202', expected: 'DEPENDENCY_VIOLATION' },
    { code: 'NAT.1409', expected: 'DEPENDENCY_VIOLATION' },
    { code: 'NAT.1403', expected: 'IP_IN_USE' },
    { code: 'NAT.1405', expected: 'IP_NOT_IN_SUBNET' },
    { code: 'NAT.1404', expected: 'SUBNET_EXHAUSTED' },
    { code: 'NAT.1503', expected: 'SNAT_SOURCE_CONFLICT' },
    { code: 'NAT.1505', expected: 'SNAT_SOURCE_CONFLICT' },
  ])('maps $code to $expected and keeps Huawei’s code and message', ({ code, expected }) => {
    // Act
    const error = mapHuaweiError(sdkError(400, code, 'the rule is refused'), 'NAT CreatePrivateDnat', 'x.y');

    // Assess
    expect(error).toBeInstanceOf(NatflowError);
    expect(error.name).toBe(expected);
    expect(error.path).toBe('x.y');
    expect(error.message).toContain(code);
    expect(error.details).toMatchObject({
      huaweiCode: code,
      huaweiMessage: 'the rule is refused',
      httpStatus: 400,
    });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it.each([
    { status: 401, expected: 'CLOUD_AUTH_FAILED' },
    { status: 403, expected: 'CLOUD_AUTH_FAILED' },
    { status: 429, expected: 'Natflow.Transient' },
    { status: 500, expected: 'Natflow.Transient' },
    { status: 503, expected: 'Natflow.Transient' },
    { status: undefined, expected: 'Natflow.Transient' },
    { status: 404, expected: 'NOT_FOUND' },
    { status: 400, expected: 'CLOUD_REJECTED' },
    { status: 409, expected: 'CLOUD_REJECTED' },
  ])('maps HTTP $status without a known code to $expected', ({ status, expected }) => {
    expect(mapHuaweiError(sdkError(status, 'XYZ.0001'), 'VPC CreateVpc').name).toBe(expected);
  });

  it('401 wins over a mapped code; throttling codes retry', () => {
    expect(mapHuaweiError(sdkError(401, 'NAT.1310'), 'op').name).toBe('CLOUD_AUTH_FAILED');
    expect(mapHuaweiError(sdkError(400, 'APIGW.0308'), 'op').name).toBe('Natflow.Transient');
  });

  it('honours a natflow code written in error_msg (rules with no documented Huawei code)', () => {
    const error = mapHuaweiError(sdkError(409, 'NAT.1000', 'LB_ALREADY_MAPPED: elb already mapped'), 'op');
    expect(error.name).toBe('LB_ALREADY_MAPPED');
    expect(error.details).toMatchObject({ huaweiCode: 'NAT.1000' });
  });

  it('reads a parent not active yet as the workflow’s wait (Natflow.NotReady): VPC.0004, or the wait named in error_msg', () => {
    // Act
    const vpc = mapHuaweiError(
      sdkError(400, 'VPC.0004', 'VPC is not active, please try later.'),
      'VPC CreateSubnet',
      'vpcs[0].subnets[0]',
    );
    const named = mapHuaweiError(
      sdkError(
        400,
        'NAT.1000',
        'transit_ip_ids[0]: transit IP 1f0e… is not active yet (INACTIVE), please try later (natflow: Natflow.NotReady)',
      ),
      'NAT CreatePrivateSnat',
    );
    const deleting = mapHuaweiError(
      sdkError(400, 'ELB.1000', 'pool 9c2d… is being deleted, please try later'),
      'ELB CreateMember',
    );

    // Assess: the two waits keep what Huawei said; a parent being deleted is no wait
    expect(vpc).toBeInstanceOf(NotReadyError);
    expect(vpc.name).toBe('Natflow.NotReady');
    expect(vpc.path).toBe('vpcs[0].subnets[0]');
    expect(vpc.details).toMatchObject({ huaweiCode: 'VPC.0004', httpStatus: 400 });
    expect(named.name).toBe('Natflow.NotReady');
    expect(named.details).toMatchObject({ huaweiCode: 'NAT.1000' });
    expect(deleting.name).toBe('CLOUD_REJECTED');
  });

  it('passes natflow errors through unchanged', () => {
    const original = new NatflowError('x');
    expect(mapHuaweiError(original, 'op')).toBe(original);
  });
});

describe('Function: normalizeErrorBody', () => {
  it('reads VPC v1 {code, message} and Neutron bodies as error_code / error_msg', () => {
    expect(normalizeErrorBody({ code: 'VPC.0101', message: 'bad cidr' })).toMatchObject({
      error_code: 'VPC.0101',
      error_msg: 'bad cidr',
    });
    expect(normalizeErrorBody({ NeutronError: { type: 'Conflict', message: 'in use' } })).toMatchObject({
      error_code: 'Conflict',
      error_msg: 'in use',
    });
    const nat = { error_code: 'NAT.1310', error_msg: 'x' };
    expect(normalizeErrorBody(nat)).toBe(nat);
    expect(normalizeErrorBody('text')).toBe('text');
  });
});
