/**
 * What the DPO console (issue 18) reads, in one place: the shapes of the Lethe API's read-only routes the console
 * needs (served by the runtime, `lib/runtime/api.ts`, validated by its zod schemas, which must produce exactly these),
 * and of the console server's own routes (`lib/console/server.ts`, under `/console-api/`), which read the policy file
 * and the audit bucket with the user's own credentials. Types only: the front-end (`console/`) and the server both
 * import it, and nothing here runs.
 *
 * Paths as the browser calls them: `/api/<Lethe API path>` (the console server forwards it to the local mode's API
 * with its token, or to a deployed stack's with SigV4), and `/console-api/<path>` (answered by the console server).
 */

/** Request kinds, as in the routes `/<kind>-requests`. */
export type RequestKind = 'erasure' | 'restriction' | 'access';

/** `GET /api/requests?kind=&status=&dueBefore=&limit=&cursor=`: newest received first. */
export interface RequestListQuery {
  /** Default: every kind. */
  readonly kind?: RequestKind;
  /** `open` (received or in progress), or one request status; default: every status. */
  readonly status?: 'open' | 'completed' | 'failed' | 'partial';
  /** Only open requests whose deadline is at or before this instant (ISO 8601 with offset). */
  readonly dueBefore?: string;
  /** Page size, 1 to 100; default 25. */
  readonly limit?: number;
  /** The `cursor` of the previous page, as given (opaque). */
  readonly cursor?: string;
}

/** One request in the list: no subject id (the console shows a subject's requests only through a lookup). */
export interface RequestListItem {
  readonly requestId: string;
  readonly kind: RequestKind;
  readonly status: string;
  /** ISO 8601, UTC. */
  readonly receivedAt: string;
  /** ISO 8601, UTC: the deadline in force (the extended one, when extended). */
  readonly deadline: string;
  readonly extension?: { readonly reason: string; readonly extendedAt: string };
  /** Systems by status (`{ erased: 3, failed: 1 }`); the details are in the request's own view. */
  readonly systems: Readonly<Record<string, number>>;
}

export interface RequestList {
  readonly requests: readonly RequestListItem[];
  /** Present when there is a next page. */
  readonly cursor?: string;
}

/** `GET /api/retention/calendar?days=90`: holdings due per purpose per day, from the due index (never a scan). */
export interface DueCalendar {
  /** The first day (YYYY-MM-DD, the policy's time zone): today. */
  readonly from: string;
  /** Days counted, 1 to 366; default 90. */
  readonly days: number;
  readonly timeZone: string;
  /** Per purpose, the days with at least one holding due (ascending); days without are left out. */
  readonly purposes: Readonly<Record<string, readonly { readonly date: string; readonly count: number }[]>>;
}

/** Holdings of one purpose by state. */
export interface HoldingCounts {
  /** Waiting for an event before their clock starts (no expiry yet). */
  readonly waiting: number;
  /** Clock running, expiry in the future. */
  readonly counting: number;
  /** Expiry passed, not yet erased by a sweep. */
  readonly due: number;
  /** Kept by a legal hold or a restriction with keep. */
  readonly held: number;
  /** Kept indefinitely by its purpose's rule. */
  readonly indefinite: number;
  /** Out of the sweep after failing too many sweeps: an operator looks (docs/reliability.md). */
  readonly quarantined: number;
  /** Its expiry found none of its data: out of the sweep until it is registered again with what finds it. */
  readonly nothingFound: number;
}

/** `GET /api/retention/holdings`: per purpose, holdings by state; how they are counted is in docs/api.md. */
export interface HoldingStates {
  /** ISO 8601, UTC: when these counts were true. */
  readonly asOf: string;
  readonly purposes: Readonly<Record<string, HoldingCounts>>;
}

/** An ISO 8601 duration's parts (P1Y6M: years 1, months 6). */
export interface DurationParts {
  readonly years?: number;
  readonly months?: number;
  readonly weeks?: number;
  readonly days?: number;
  readonly hours?: number;
}

/** `GET /console-api/policy`: the policy as the console shows it (from the policy file the server was given). */
export interface ConsolePolicy {
  readonly controller: string;
  readonly policyHash: string;
  readonly timeZone: string;
  readonly purposes: readonly {
    readonly id: string;
    readonly name: string;
    readonly legalBasis: string;
    /** The law or contract it rests on, when the policy names one. */
    readonly law?: string;
    readonly per?: 'subject' | 'item';
    /** The clock in words, in the asked language (`?lang=en|sv`): anchor, duration, what it waits for. */
    readonly clock: string;
    /** Events the holding waits for before its clock starts (empty: it starts at collection). */
    readonly waitsFor: readonly string[];
    /** ISO 8601 duration, or null when kept indefinitely or until an event only. */
    readonly duration: string | null;
    /** `duration` in its parts, for the picture of the clock (only the parts it has); absent when `duration` is null. */
    readonly keep?: DurationParts;
    /** True when the purpose keeps its data indefinitely (its default rule). */
    readonly indefinite: boolean;
    /** What happens to the data when the clock ends. */
    readonly onExpiry: 'erase' | 'anonymise';
    readonly systems: readonly string[];
  }[];
}

/** `GET /console-api/audit` (the whole chain verified) and `GET /console-api/audit?requestId=` (its records). */
export interface ConsoleAudit {
  /** ISO 8601, UTC: when this verification ran. */
  readonly checkedAt: string;
  readonly intact: boolean;
  readonly records: number;
  /**
   * The head recorded in the audit-chain table that the end of the chain was checked against (a chain short of it
   * breaks as `truncated`: its newest records were removed), or null when the end was not checked; `headUnchecked`
   * then says why: the console was given no audit-chain table, or the table records no head yet (nothing written).
   */
  readonly head: { readonly seq: number } | null;
  readonly headUnchecked?: 'no-chain-table' | 'no-head-recorded';
  /** When broken: the kind (lib/audit/verify.ts BreakKind), the sequence number and a message without personal data. */
  readonly break?: { readonly kind: string; readonly seq: number; readonly message: string };
  /** With `?requestId=`: that request's records, ids and HMACs only, oldest first. */
  readonly requestRecords?: readonly {
    readonly seq: number;
    readonly at: string;
    readonly action: string;
    readonly system?: string;
    readonly outcome?: string;
    readonly subjectRef: string;
    readonly hash: string;
  }[];
}

/** `GET /console-api/register?lang=en|sv`: the Art. 30 register (lib/register `buildRegister`) as JSON. */
export type ConsoleRegisterLang = 'en' | 'sv';
