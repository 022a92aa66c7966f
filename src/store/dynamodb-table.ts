/**
 * The one DynamoDB table natflow keeps its state in (single-table design), defined once here: the
 * adapter (`dynamodb.ts`) reads the attribute and index names from this module, tests create the table
 * from `tableDefinition()`, and `infra/table.yml` (the CloudFormation resource that serverless.yml
 * includes) must say the same — a test compares the two.
 *
 * Items (`pk`, `sk`):
 *
 * | item | pk | sk | attributes |
 * | --- | --- | --- | --- |
 * | resource | `RES#<id>` | `RES` | `resource` (the document), `keys`, `refs`, the index attributes below |
 * | guard (a unique key) | `KEY#<key>` | `KEY` | `holder` (resource id), `writtenAt` (ms) |
 * | reference | `REF#<referenced id>` | `RES#<referrer id>` | `referrer` |
 * | scope counter (a transaction scope: a gateway, a transit IP, a subnet …) | `SCOPE#<scope>` | `SCOPE` | `version` (the id of its last commit), `commits`, `ttl` (s) |
 * | plan record | `PLANS` | `PLAN#<name>` | `document` (JSON text), `execution`, `updatedAt` |
 * | ledger entry of an execution (the rollback ledger) | `EXEC#<execution>` | `RES#<id>` | `id` |
 * | ledger entry of a plan (what teardown deletes) | `OWNED#<plan>` | `RES#<id>` | `id` |
 *
 * A resource's ledger entries are written and deleted in the TransactWriteItems that writes or deletes
 * the resource (or changes its plan or execution), so `list({execution})` and `list({plan})` — what a
 * rollback and a teardown decide on — are a strongly consistent Query of one partition and a strongly
 * consistent BatchGetItem of the resources: never an index read.
 *
 * One global secondary index (projection ALL, sort key `createdKey` = `<createdAt>#<id>`, so a query
 * returns resources in creation order): `byType` on `gsiType` = `TYPE#<type>` — every resource has it;
 * it serves the listings by type (`GET /resources`) only. No rule, rollback or teardown is decided by an
 * (eventually consistent) index read: rules are decided on strongly consistent reads of the base table,
 * and every commit advances the counters of its scopes under a condition in the same TransactWriteItems
 * (`dynamodb/store.ts`).
 *
 * Billing is on demand (PAY_PER_REQUEST), point-in-time recovery is on, and `ttl` lets DynamoDB sweep
 * the counters of scopes no transaction has touched for a day (a swept counter is simply recreated).
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const ATTR = {
  pk: 'pk',
  sk: 'sk',
  gsiType: 'gsiType',
  createdKey: 'createdKey',
  ttl: 'ttl',
} as const;

export const INDEX = {
  byType: 'byType',
} as const;

/** The CloudFormation logical id of the table (serverless.yml refers to it with `!Ref`). */
export const TABLE_LOGICAL_ID = 'NatflowTable';

type TableShape = Required<
  Pick<
    CreateTableCommandInput,
    'AttributeDefinitions' | 'KeySchema' | 'GlobalSecondaryIndexes' | 'BillingMode'
  >
>;

function index(
  name: string,
  partitionKey: string,
): NonNullable<CreateTableCommandInput['GlobalSecondaryIndexes']>[number] {
  return {
    IndexName: name,
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: ATTR.createdKey, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  };
}

/** The table's keys, attributes and indexes: what CreateTable and CloudFormation both take. */
export const TABLE_SHAPE: TableShape = {
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: ATTR.pk, AttributeType: 'S' },
    { AttributeName: ATTR.sk, AttributeType: 'S' },
    { AttributeName: ATTR.gsiType, AttributeType: 'S' },
    { AttributeName: ATTR.createdKey, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: ATTR.pk, KeyType: 'HASH' },
    { AttributeName: ATTR.sk, KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [index(INDEX.byType, ATTR.gsiType)],
};

/** The CreateTable input for a table of this shape (tests, local endpoints). */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return { TableName: tableName, ...structuredClone(TABLE_SHAPE) };
}
