/**
 * The DynamoDB adapter's TransactWriteItems path and its error mapping, against a mocked client
 * (dynalite has no TransactWriteItems). One transaction inserts a DNAT rule holding the key
 * `dnat-port:tip-1:tcp:80` and referencing `tip-1`, under the scope `tip-1`.
 */
import {
  type AttributeValue,
  DynamoDBClient,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ThrottlingException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/cloud/errors.ts';
import { keys, type Store, UniqueKeyViolation } from '../../src/cloud/store.ts';
import { ManualClock } from '../../src/net/clock.ts';
import { openDynamoStore } from '../../src/store/dynamodb.ts';
import { fixtures } from './contract.ts';

const TABLE = 'natflow-test';
const KEY = keys.dnatPort('tip-1', 'tcp', 80);
const RULE = fixtures.dnatRule('dnat-1', 'tip-1', 80);
const meta = { $metadata: {} };

const ddb = mockClient(DynamoDBDocumentClient);

function open(): Store {
  return openDynamoStore({
    tableName: TABLE,
    client: new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }),
    clock: new ManualClock(1_000_000),
  });
}

const insertRule = (store: Store) =>
  store.transaction(['tip-1'], (tx) => tx.insert(RULE, { keys: [KEY], refs: ['tip-1'] }));

const cancelled = (codes: string[], item?: Record<string, AttributeValue>) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    ...meta,
    CancellationReasons: codes.map((Code, i) => ({ Code, ...(i === 0 && item ? { Item: item } : {}) })),
  });

beforeEach(() => {
  ddb.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  ddb.on(DeleteCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  ddb.on(TransactWriteCommand).resolves({});
});

afterEach(() => {
  ddb.reset();
});

describe('Class: DynamoStore (TransactWriteItems)', () => {
  describe('Method: transaction', () => {
    it('commits the guard check, the resource, its reference and the lease check in one TransactWriteItems', async () => {
      // Act
      await insertRule(open());
      // Assess: the guard is claimed first, then everything else is committed atomically.
      expect(ddb).toHaveReceivedCommandWith(PutCommand, {
        Item: expect.objectContaining({ pk: `KEY#${KEY}`, holder: 'dnat-1' }),
        ConditionExpression: 'attribute_not_exists(#pk)',
      });
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
      const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
      expect(items).toEqual([
        {
          ConditionCheck: expect.objectContaining({
            TableName: TABLE,
            Key: { pk: `KEY#${KEY}`, sk: 'KEY' },
            ExpressionAttributeValues: { ':holder': 'dnat-1' },
          }),
        },
        {
          Put: expect.objectContaining({
            Item: expect.objectContaining({ pk: 'RES#dnat-1', resource: RULE, keys: [KEY], refs: ['tip-1'] }),
            ConditionExpression: 'attribute_not_exists(#pk)',
          }),
        },
        { Put: expect.objectContaining({ Item: { pk: 'REF#tip-1', sk: 'RES#dnat-1', referrer: 'dnat-1' } }) },
        { ConditionCheck: expect.objectContaining({ Key: { pk: 'LEASE#tip-1', sk: 'LEASE' } }) },
      ]);
      // The lease is released, and nothing was written outside the transaction but the claim.
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: 'LEASE#tip-1', sk: 'LEASE' } });
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 2);
    });

    it('maps a failed guard check to UniqueKeyViolation naming the key and the holder', async () => {
      // Prepare
      const item = { holder: { S: 'dnat-9' }, writtenAt: { N: '999999' } };
      ddb
        .on(TransactWriteCommand)
        .rejects(cancelled(['ConditionalCheckFailed', 'None', 'None', 'None'], item));
      // Act
      const error = await insertRule(open()).catch((e: unknown) => e);
      // Assess
      expect(error).toBeInstanceOf(UniqueKeyViolation);
      expect(error).toMatchObject({ key: KEY, holderId: 'dnat-9' });
      // The claim is given back (only if still ours) and the lease released.
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
        Key: { pk: `KEY#${KEY}`, sk: 'KEY' },
        ConditionExpression: '#holder = :me',
        ExpressionAttributeValues: { ':me': 'dnat-1' },
      });
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: 'LEASE#tip-1', sk: 'LEASE' } });
    });

    it('reads the holder when the cancellation reason carries no item', async () => {
      ddb.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None', 'None', 'None']));
      ddb
        .on(GetCommand, { Key: { pk: `KEY#${KEY}`, sk: 'KEY' } })
        .resolves({ Item: { pk: `KEY#${KEY}`, sk: 'KEY', holder: 'dnat-7', writtenAt: 5 } });
      ddb.on(GetCommand, { Key: { pk: 'RES#dnat-1', sk: 'RES' } }).resolves({});
      // The claim succeeds (the mocked put does not check conditions), the commit then finds dnat-7.
      const error = await insertRule(open()).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'UniqueKeyViolation', key: KEY, holderId: 'dnat-7' });
    });

    it.each([
      { reason: 'TransactionConflict', codes: ['None', 'TransactionConflict', 'None', 'None'] },
      { reason: 'ThrottlingError', codes: ['None', 'ThrottlingError', 'None', 'None'] },
      {
        reason: 'ProvisionedThroughputExceeded',
        codes: ['ProvisionedThroughputExceeded', 'None', 'None', 'None'],
      },
      { reason: 'a lost lease', codes: ['None', 'None', 'None', 'ConditionalCheckFailed'] },
    ])('maps a commit cancelled by $reason to TransientError', async ({ codes }) => {
      ddb.on(TransactWriteCommand).rejects(cancelled(codes));
      const error = await insertRule(open()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect(error).toMatchObject({ name: 'Natflow.Transient' });
    });

    it('maps an insert of an id that appeared meanwhile to UniqueKeyViolation on the id', async () => {
      ddb.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed', 'None', 'None']));
      const error = await insertRule(open()).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'UniqueKeyViolation', key: 'id:dnat-1', holderId: 'dnat-1' });
    });

    it.each([
      { name: 'ThrottlingException', error: new ThrottlingException({ message: 'slow down', ...meta }) },
      {
        name: 'ProvisionedThroughputExceededException',
        error: new ProvisionedThroughputExceededException({ message: 'too much', ...meta }),
      },
      { name: 'InternalServerError', error: new InternalServerError({ message: 'oops', ...meta }) },
      {
        name: 'a 503',
        error: Object.assign(new Error('unavailable'), {
          name: 'ServiceUnavailable',
          $metadata: { httpStatusCode: 503 },
        }),
      },
    ])('maps $name on the commit to TransientError', async ({ error }) => {
      ddb.on(TransactWriteCommand).rejects(error);
      const thrown = await insertRule(open()).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(TransientError);
      expect((thrown as TransientError).cause).toBe(error);
    });

    it('maps throttling of a read to TransientError', async () => {
      ddb.on(GetCommand).rejects(new ThrottlingException({ message: 'slow down', ...meta }));
      await expect(open().get('dnat-1')).rejects.toBeInstanceOf(TransientError);
    });

    it('passes a permanent error through unchanged', async () => {
      const validation = Object.assign(new Error('bad expression'), {
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      });
      ddb.on(TransactWriteCommand).rejects(validation);
      await expect(insertRule(open())).rejects.toBe(validation);
    });

    it('falls back to the guard sequence once the service does not know TransactWriteItems, and remembers', async () => {
      // Prepare
      ddb.on(TransactWriteCommand).rejects(
        Object.assign(new Error('UnknownError'), {
          name: 'UnknownOperationException',
          $metadata: { httpStatusCode: 400 },
        }),
      );
      const store = open();
      // Act
      await insertRule(store);
      await store.transaction(['tip-1'], (tx) =>
        tx.insert(fixtures.dnatRule('dnat-2', 'tip-1', 443), { keys: [], refs: ['tip-1'] }),
      );
      // Assess: one refused attempt, then item by item: lease renewal, guard check, resource, reference.
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
      expect(ddb).toHaveReceivedCommandWith(UpdateCommand, { Key: { pk: 'LEASE#tip-1', sk: 'LEASE' } });
      expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
        Key: { pk: `KEY#${KEY}`, sk: 'KEY' },
        ConditionExpression: '#holder = :holder',
      });
      expect(ddb).toHaveReceivedCommandWith(PutCommand, {
        Item: expect.objectContaining({ pk: 'RES#dnat-1' }),
        ConditionExpression: 'attribute_not_exists(#pk)',
      });
      expect(ddb).toHaveReceivedCommandWith(PutCommand, {
        Item: expect.objectContaining({ pk: 'REF#tip-1' }),
      });
      expect(ddb).toHaveReceivedCommandWith(PutCommand, {
        Item: expect.objectContaining({ pk: 'RES#dnat-2' }),
      });
    });

    it('undoes the sequence when a later write fails, and reports the fault as transient', async () => {
      // Prepare: no TransactWriteItems; the reference write is throttled after the resource was written.
      ddb
        .on(TransactWriteCommand)
        .rejects(
          Object.assign(new Error('UnknownError'), { name: 'UnknownOperationException', $metadata: {} }),
        );
      ddb.on(PutCommand).callsFake(async (input: { Item?: Record<string, unknown> }) => {
        if (input.Item?.pk === 'REF#tip-1') throw new ThrottlingException({ message: 'slow down', ...meta });
        return {};
      });
      // Act
      const error = await insertRule(open()).catch((e: unknown) => e);
      // Assess: the resource is deleted again and the key given back.
      expect(error).toBeInstanceOf(TransientError);
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: 'RES#dnat-1', sk: 'RES' } });
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
        Key: { pk: `KEY#${KEY}`, sk: 'KEY' },
        ConditionExpression: '#holder = :me',
      });
    });

    it('writes nothing when the function throws', async () => {
      const error = await open()
        .transaction(['tip-1'], async (tx) => {
          await tx.insert(RULE, { keys: [], refs: ['tip-1'] });
          throw new Error('boom');
        })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ message: 'boom' });
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
      expect(ddb).not.toHaveReceivedCommandWith(PutCommand, {
        Item: expect.objectContaining({ pk: 'RES#dnat-1' }),
      });
    });
  });
});
