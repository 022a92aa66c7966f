import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { storeContract } from './contract.ts';

storeContract('MemoryStore', async () => {
  const store = new MemoryStore();
  return { store, close: () => store.close() };
});
