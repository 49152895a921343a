/**
 * EventBridge consumer of the custom bus: "Holding Registered" and "Subject Event" (lib/runtime/bus.ts). An
 * invalid event fails the invocation with an `InputError` after being logged by id: Lambda's asynchronous
 * retries then send it to the dead-letter queue / on-failure destination. Nothing is written for it.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { handleBusEvent } from '../lib/runtime/bus';
import { withPowertools } from '../lib/runtime/handler';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';
import type { EventAnswer, HoldingAnswer } from '../lib/runtime/subjects';

export function makeHandler(getRuntime: () => Runtime = defaultRuntime) {
  return withPowertools<EventBridgeEvent<string, unknown>, HoldingAnswer | EventAnswer>(async (event) =>
    handleBusEvent(getRuntime(), event),
  );
}

export const handler = makeHandler();
