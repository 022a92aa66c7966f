/**
 * The event port: how the workflows emit natflow's out events (docs/events.md, source `natflow`). The core
 * owns the type; the EventBridge publisher (functions/lib/eventbridge.ts) and the local runtime's
 * in-process bus implement it.
 */
export type EventPublisher = (detailType: string, detail: Record<string, unknown>) => Promise<void>;
