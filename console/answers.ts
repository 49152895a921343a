/** The Lethe API answers the console reads, as the API's own schemas (lib/runtime/api-responses.ts) type them. */
import type { z } from 'zod';
import type {
  AccessRequestView,
  ExtendAnswer as ExtendSchema,
  RequestView,
  RestrictionRequestView,
  SubjectView as SubjectSchema,
} from '../lib/runtime/api-responses';

/** `GET /api/<kind>-requests/{id}`: an erasure request's view, with what a restriction's or an access request's adds. */
export type RequestDetail = z.infer<typeof RequestView> & { readonly kind?: 'restriction' | 'access' } & Partial<
    Pick<z.infer<typeof RestrictionRequestView>, 'until' | 'keep' | 'lifted'>
  > &
  Partial<Pick<z.infer<typeof AccessRequestView>, 'export'>>;

/** `POST /api/<kind>-requests/{id}/extend` → 200. */
export type ExtendAnswer = z.infer<typeof ExtendSchema>;

/** The body of `POST /api/<kind>-requests/{id}/extend` (docs/api.md). */
export interface ExtendRequest {
  readonly months: 1 | 2;
  readonly reason: string;
}

/** `GET /api/subjects/{subjectId}`. */
export type SubjectView = z.infer<typeof SubjectSchema>;
