/**
 * The live local data plane, a component of the local stack: the virtual cloud realised as real sockets
 * on loopback addresses (`data-plane.ts` explains how). Its surface: the `DataPlane` (the core's
 * `LiveNetwork` port) with its options and map, and the sync of an execution's scope after it closes
 * (`store-sync.ts`). Nothing outside this folder reaches further in (tests may).
 */
export {
  DataPlane,
  type DataPlaneAddress,
  type DataPlaneEndpoint,
  type DataPlaneMap,
  type DataPlaneOptions,
} from './data-plane.ts';
export { syncDataPlane } from './store-sync.ts';
