/**
 * The DynamoDB adapter of the store port; the code lives in `./dynamodb/` (the store and its retry of
 * lost commits, the table's reads, the transaction's buffered view, the commit, item codecs, errors).
 * This module is its entry point.
 */

export { asTransient, StoreAuthFailedError } from './dynamodb/errors.ts';
export { type DynamoStoreOptions, openDynamoStore } from './dynamodb/store.ts';
