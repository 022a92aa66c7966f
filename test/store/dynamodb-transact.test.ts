/**
 * The DynamoDB adapter's commit and its error mapping, against a mocked client: what one transaction
 * sends (the guard claim, then one TransactWriteItems with the guard check, the resource, its reference
 * and the scope counter), what each cancellation reason means (a lost race runs the function again;
 * throttling is transient; anything else an error), and that refused credentials are an error of the
 * call — never a reason to commit without TransactWriteItems. One transaction inserts a DNAT rule
 * holding `dnat-port:tip-1:tcp:80` and referencing `tip-1`, under the scope `tip-1`.
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
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/cloud/errors.ts';
import { keys, type Store } from '../../src/cloud/store.ts';
import { ManualClock } from '../../src/net/clock.ts';
import { openDynamoStore, StoreAuthFailedError } from '../../src/store/dynamodb.ts';
import { fixtures } from './contract.ts';

const TABLE = 'natflow-test';
const KEY = keys.dnatPort('tip-1', 'tcp', 80);
const RULE = fixtures.dnatRule('dnat-1', 'tip-1', 80);
const meta = { $metadata: {} };

const ddb = mockClient(DynamoDBDocumentClient);

function open(): Store {
  const clock = new ManualClock(1_000_000);
  return openDynamoStore({
    tableName: TABLE,
    client: new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }),
    clock,
    maxWaitMs: 1_000,
    sleep: async (ms) => clock.advance(ms),
  });
}

const insertRule = (store: Store) =>
  store.transaction(['tip-1'], (tx) => tx.insert(RULE, { keys: [KEY], refs: ['tip-1'] }));

/** A TransactionCanceledException whose reasons align with [guard check, resource, reference, scope]. */
const cancelled = (codes: string[], item?: Record<string, AttributeValue>) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    ...meta,
    CancellationReasons: codes.map((Code, i) => ({ Code, ...(i === 0 && item ? { Item: item } : {}) })),
  });

const serviceError = (name: string, status = 400) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

beforeEach(() => {
  ddb.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
  ddb.on(QueryCommand).resolves({ Items: [] });
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
    it('reads the scope counter first, then commits guard check, resource, reference, counter and ledger entries in one TransactWriteItems', async () => {
      // Prepare: the scope was committed on before, at version v-7.
      ddb
        .on(GetCommand, { Key: { pk: 'SCOPE#tip-1', sk: 'SCOPE' } })
        .resolves({ Item: { pk: 'SCOPE#tip-1', sk: 'SCOPE', version: 'v-7', commits: 7 } });
      // Act
      await insertRule(open());
      // Assess: the guard is claimed at insert, everything else is committed atomically.
      expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
        Key: { pk: 'SCOPE#tip-1', sk: 'SCOPE' },
        ConsistentRead: true,
      });
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
        {
          Update: expect.objectContaining({
            Key: { pk: 'SCOPE#tip-1', sk: 'SCOPE' },
            ConditionExpression: '#v = :seen',
            ExpressionAttributeValues: expect.objectContaining({ ':seen': 'v-7', ':one': 1 }),
          }),
        },
        // The rule's entries in its execution's and its plan's ledger, in the same transaction.
        { Put: { TableName: TABLE, Item: { pk: `EXEC#${RULE.execution}`, sk: 'RES#dnat-1', id: 'dnat-1' } } },
        { Put: { TableName: TABLE, Item: { pk: `OWNED#${RULE.plan}`, sk: 'RES#dnat-1', id: 'dnat-1' } } },
      ]);
      // No lease, lock or other write outside the transaction but the claim.
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 0);
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
    });

    it('creates the counter of a scope never committed on, conditioned on its absence', async () => {
      await insertRule(open());
      const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
      expect(items.filter((item) => item.Update)).toHaveLength(1);
      expect(items.find((item) => item.Update)?.Update).toMatchObject({
        Key: { pk: 'SCOPE#tip-1', sk: 'SCOPE' },
        ConditionExpression: 'attribute_not_exists(#pk)',
      });
    });

    it.each([
      {
        reason: 'a scope counter another commit advanced',
        codes: ['None', 'None', 'None', 'ConditionalCheckFailed'],
      },
      { reason: 'a guard taken over', codes: ['ConditionalCheckFailed', 'None', 'None', 'None'] },
      { reason: 'an id that appeared meanwhile', codes: ['None', 'ConditionalCheckFailed', 'None', 'None'] },
      { reason: 'a transaction conflict', codes: ['None', 'TransactionConflict', 'None', 'None'] },
    ])('runs the function again on fresh reads after a commit cancelled by $reason', async ({ codes }) => {
      // Prepare
      ddb.on(TransactWriteCommand).rejectsOnce(cancelled(codes)).resolves({});
      let runs = 0;
      // Act
      await open().transaction(['tip-1'], async (tx) => {
        runs++;
        await tx.insert(RULE, { keys: [KEY], refs: ['tip-1'] });
      });
      // Assess: the lost attempt gave its claim back (only if still ours) before the second run.
      expect(runs).toBe(2);
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
        Key: { pk: `KEY#${KEY}`, sk: 'KEY' },
        ConditionExpression: '#holder = :me',
        ExpressionAttributeValues: { ':me': 'dnat-1' },
      });
    });

    it('gives up with Natflow.Transient when every commit keeps losing for maxWaitMs', async () => {
      ddb.on(TransactWriteCommand).rejects(cancelled(['None', 'None', 'None', 'ConditionalCheckFailed']));
      const error = await insertRule(open()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect(error).toMatchObject({ details: { scopes: ['tip-1'] } });
      expect((error as Error).message).toContain('scope tip-1 changed');
    });

    it.each([
      { reason: 'ThrottlingError', codes: ['None', 'ThrottlingError', 'None', 'None'] },
      {
        reason: 'ProvisionedThroughputExceeded',
        codes: ['ProvisionedThroughputExceeded', 'None', 'None', 'None'],
      },
    ])('maps a commit cancelled by $reason to TransientError at once', async ({ codes }) => {
      ddb.on(TransactWriteCommand).rejects(cancelled(codes));
      const error = await insertRule(open()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    });

    it('reports a commit refused for another reason as an error naming it', async () => {
      ddb.on(TransactWriteCommand).rejects(cancelled(['None', 'ValidationError', 'None', 'None']));
      const error = await insertRule(open()).catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(TransientError);
      expect((error as Error).message).toContain('ValidationError');
    });

    it.each([
      { name: 'ThrottlingException', error: new ThrottlingException({ message: 'slow down', ...meta }) },
      {
        name: 'ProvisionedThroughputExceededException',
        error: new ProvisionedThroughputExceededException({ message: 'too much', ...meta }),
      },
      { name: 'InternalServerError', error: new InternalServerError({ message: 'oops', ...meta }) },
      { name: 'a 503', error: serviceError('ServiceUnavailable', 503) },
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
      const validation = serviceError('ValidationException');
      ddb.on(TransactWriteCommand).rejects(validation);
      await expect(insertRule(open())).rejects.toBe(validation);
    });
  });

  describe('refused credentials', () => {
    it.each(['UnrecognizedClientException', 'InvalidSignatureException', 'AccessDeniedException'])(
      'reports %s on the commit as STORE_AUTH_FAILED, and keeps committing with TransactWriteItems',
      async (name) => {
        // Prepare: the first commit is refused (on AWS: an invalid security token), the next one passes.
        const refused = serviceError(name);
        ddb.on(TransactWriteCommand).rejectsOnce(refused).resolves({});
        const store = open();
        // Act
        const error = await insertRule(store).catch((e: unknown) => e);
        await store.transaction(['tip-1'], (tx) =>
          tx.insert(fixtures.dnatRule('dnat-2', 'tip-1', 443), { keys: [], refs: ['tip-1'] }),
        );
        // Assess: an error of that call, not retried, and no switch to item-by-item writes.
        expect(error).toBeInstanceOf(StoreAuthFailedError);
        expect(error).toMatchObject({ name: 'STORE_AUTH_FAILED', details: { reason: name }, cause: refused });
        expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
        expect(ddb).not.toHaveReceivedCommandWith(PutCommand, {
          Item: expect.objectContaining({ pk: 'RES#dnat-2' }),
        });
      },
    );

    it('reports UnrecognizedClientException on a read as STORE_AUTH_FAILED', async () => {
      ddb.on(GetCommand).rejects(serviceError('UnrecognizedClientException'));
      await expect(open().get('dnat-1')).rejects.toMatchObject({ name: 'STORE_AUTH_FAILED' });
    });
  });

  describe('an endpoint without TransactWriteItems (dynalite)', () => {
    it('is refused with an error naming the operation, and nothing is written item by item', async () => {
      ddb.on(TransactWriteCommand).rejects(serviceError('UnknownOperationException'));
      const error = await insertRule(open()).catch((e: unknown) => e);
      expect((error as Error).message).toContain('no TransactWriteItems');
      expect(ddb).not.toHaveReceivedCommandWith(PutCommand, {
        Item: expect.objectContaining({ pk: 'RES#dnat-1' }),
      });
      // The claim is given back.
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: `KEY#${KEY}`, sk: 'KEY' } });
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
