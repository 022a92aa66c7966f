/**
 * The EventBridge publisher of natflow's out events (docs/events.md): source `natflow` on the bus named by
 * `NATFLOW_EVENT_BUS` (default `natflow`). Locally the runtime injects its in-process bus instead.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from '../../src/workflow/events.ts';

export function eventBridgePublisher(
  env: NodeJS.ProcessEnv,
  client = new EventBridgeClient({}),
): EventPublisher {
  const bus = env.NATFLOW_EVENT_BUS ?? 'natflow';
  return async (detailType, detail) => {
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: bus, Source: 'natflow', DetailType: detailType, Detail: JSON.stringify(detail) },
        ],
      }),
    );
    if (result.FailedEntryCount) {
      const entry = result.Entries?.find((e) => e.ErrorCode);
      throw new Error(`PutEvents failed: ${entry?.ErrorCode}: ${entry?.ErrorMessage}`);
    }
  };
}
