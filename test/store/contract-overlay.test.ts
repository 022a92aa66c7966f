import { MemoryStore } from '../../src/cloud/memory-store.ts';
import { OverlayStore } from '../../src/cloud/overlay-store.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { storeContract } from './contract.ts';

// The overlay keeps the port's promises whatever its base: over an empty in-memory store and over SQLite.
storeContract('OverlayStore over a MemoryStore', async () => {
  const base = new MemoryStore();
  const store = new OverlayStore(base);
  return { store, close: () => store.close().then(() => base.close()) };
});

storeContract('OverlayStore over SQLite', async () => {
  const base = openSqliteStore(':memory:');
  const store = new OverlayStore(base);
  return { store, close: () => store.close().then(() => base.close()) };
});
