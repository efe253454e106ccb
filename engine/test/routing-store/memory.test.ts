import { MemoryRoutingStore } from '../../src/routing-store/memory-routing-store';
import { runRoutingStoreContract } from './contract';

runRoutingStoreContract('memory', async () => {
  const store = new MemoryRoutingStore();
  return { store, cleanup: async () => {} };
});
