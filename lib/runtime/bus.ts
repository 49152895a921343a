/**
 * Holdings and subject events from the custom event bus. `detail-type` "Holding Registered" carries the body of
 * POST /subjects/{id}/holdings plus `subjectId`; "Subject Event" the body of POST /subjects/{id}/events plus
 * `subjectId`. Both go to the same domain calls as the API.
 *
 * An invalid event is logged by its EventBridge id (never its content) and rejected with the `InputError`: the
 * function fails, and after Lambda's asynchronous retries the event lands in the function's dead-letter queue
 * or on-failure destination for a person to look at. Nothing is written for it.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { InputError } from '../core/errors';
import { ErasureRequestBody, HoldingBody, SubjectEventBody } from './api-schemas';
import { logger } from '../core/observability';
import type { Runtime } from './runtime';
import { type EventAnswer, type HoldingAnswer, recordEvent, registerHolding } from './subjects';
import { parseBody } from './validate';

export const DETAIL_TYPES = { holding: 'Holding Registered', event: 'Subject Event' } as const;

export const HoldingDetail = HoldingBody.extend({ subjectId: ErasureRequestBody.shape.subjectId });
export const SubjectEventDetail = SubjectEventBody.extend({ subjectId: ErasureRequestBody.shape.subjectId });

export async function handleBusEvent(rt: Runtime, event: EventBridgeEvent<string, unknown>): Promise<HoldingAnswer | EventAnswer> {
  const detailType = event?.['detail-type'];
  try {
    switch (detailType) {
      case DETAIL_TYPES.holding: {
        const { subjectId, ...body } = parseBody(HoldingDetail, event.detail, 'holding event', ['detail']);
        return await registerHolding(rt, subjectId, body);
      }
      case DETAIL_TYPES.event: {
        const { subjectId, ...body } = parseBody(SubjectEventDetail, event.detail, 'subject event', ['detail']);
        // The bus's event id makes a redelivery write the same event again, not a second one.
        return await recordEvent(rt, subjectId, body, typeof event.id === 'string' && event.id ? event.id : undefined);
      }
      default:
        throw new InputError(
          `unknown detail-type ${JSON.stringify(detailType)}; expected "${DETAIL_TYPES.holding}" or "${DETAIL_TYPES.event}"`,
          {
            path: 'detail-type',
          },
        );
    }
  } catch (error) {
    if (error instanceof InputError) {
      logger.error('bus event refused', { eventId: event?.id, detailType, path: error.path });
    }
    throw error;
  }
}
