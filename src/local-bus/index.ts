/**
 * The local EventBridge bus, a component of the local stack (`event-bus.ts`): PutEvents entries matched
 * against rules (`event-pattern.ts`, EventBridge's pattern language) start their targets. Its surface is
 * the bus and the shapes it takes and gives; nothing outside this folder reaches further in (tests may).
 */
export {
  type BusEvent,
  type BusRule,
  LocalEventBus,
  type PutEventsEntry,
  type PutEventsResult,
} from './event-bus.ts';
