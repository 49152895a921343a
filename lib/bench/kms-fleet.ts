/**
 * KMS as production sees it (issue 16): in local mode one worker runs each function, so one Sealer (one data key)
 * seals every holding and one opens them all. On Lambda every concurrent execution environment has its own Sealer,
 * hence its own data key, and every environment that opens a holding must ask KMS to decrypt that holding's data key
 * once. This runs the real Sealer (lib/runtime/sealing.ts) as that fleet: `sealingContainers` environments seal the
 * holdings (one after another per environment, holding i in environment i mod n, as concurrent registrations
 * spread), then `openingContainers` environments open them, batch j in environment j mod m (the sweep's Map
 * children). It counts the KMS calls the Sealers make.
 *
 * With `periodKeys` (issue 16) the sealers share one data key per period through that store (the runtime's
 * DynamoDB table in production, sealing.ts), and its calls are counted too. With `sealingSpanMs` the holdings are
 * registered evenly over that span (holding i at i/holdings of it), as registrations spread over a day, so a
 * sealer's 5-minute keys and the hourly shared key show what they cost; by default all are sealed at one instant.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import type { PeriodKeyStore } from '../runtime/period-keys';
import { holdingContext, Sealer } from '../runtime/sealing';

export interface FleetOptions {
  /** A KMS client (local mode's KMS in the bench, a mock in tests). */
  readonly kms: KMSClient;
  readonly keyId: string;
  readonly holdings: number;
  readonly sealingContainers: number;
  readonly openingContainers: number;
  /** Holdings per batch (one sweep child). */
  readonly batchSize: number;
  /** One shared data key per period through this store (sealing.ts), instead of one per sealing container. */
  readonly periodKeys?: PeriodKeyStore;
  /** The holdings are sealed evenly over this many milliseconds. @default 0 */
  readonly sealingSpanMs?: number;
  /** When the first holding is sealed (epoch ms); the openers open at its end. @default 2026-12-04T00:00:00Z */
  readonly startMs?: number;
}

export interface FleetCalls {
  /** KMS calls by operation (GenerateDataKey, Decrypt). */
  readonly sealing: Readonly<Record<string, number>>;
  readonly opening: Readonly<Record<string, number>>;
  /** The sealers' calls to the period store (get, putFirst); absent without `periodKeys`. */
  readonly store?: Readonly<Record<string, number>>;
}

/** A KMS client that counts what is sent through it. */
function counting(kms: KMSClient, counts: Record<string, number>): KMSClient {
  return {
    send: (command: { constructor: { name: string } }) => {
      const operation = command.constructor.name.replace(/Command$/, '');
      counts[operation] = (counts[operation] ?? 0) + 1;
      return kms.send(command as never);
    },
  } as unknown as KMSClient;
}

/** A period store that counts what is asked of it. */
function countingStore(store: PeriodKeyStore, counts: Record<string, number>): PeriodKeyStore {
  return {
    get: (period) => {
      counts.get = (counts.get ?? 0) + 1;
      return store.get(period);
    },
    putFirst: (period, encrypted, expiresAt) => {
      counts.putFirst = (counts.putFirst ?? 0) + 1;
      return store.putFirst(period, encrypted, expiresAt);
    },
  };
}

export async function kmsFleet(options: FleetOptions): Promise<FleetCalls> {
  const sealing: Record<string, number> = {};
  const opening: Record<string, number> = {};
  const storeCalls: Record<string, number> = {};
  const start = options.startMs ?? Date.UTC(2026, 11, 4);
  const span = options.sealingSpanMs ?? 0;
  const context = (i: number) => holdingContext('bench', 'fleet', `ref-${i}`);
  const periodKeys = options.periodKeys ? countingStore(options.periodKeys, storeCalls) : undefined;
  // Each sealing container's clock: the registration time of the holding it seals.
  const clocks = new Array<number>(options.sealingContainers).fill(start);
  const sealers = Array.from(
    { length: options.sealingContainers },
    (_, c) => new Sealer(counting(options.kms, sealing), options.keyId, { clock: () => clocks[c], ...(periodKeys ? { periodKeys } : {}) }),
  );
  const sealed: string[] = new Array<string>(options.holdings);
  await Promise.all(
    sealers.map(async (sealer, c) => {
      for (let i = c; i < options.holdings; i += sealers.length) {
        clocks[c] = start + Math.floor((i * span) / options.holdings);
        sealed[i] = await sealer.seal({ subjectId: `s-${i}` }, context(i));
      }
    }),
  );
  const openedAt = start + span;
  const openers = Array.from(
    { length: options.openingContainers },
    () => new Sealer(counting(options.kms, opening), options.keyId, { clock: () => openedAt }),
  );
  const batches = Math.ceil(options.holdings / options.batchSize);
  await Promise.all(
    openers.map(async (opener, c) => {
      for (let b = c; b < batches; b += openers.length) {
        const from = b * options.batchSize;
        for (let i = from; i < Math.min(from + options.batchSize, options.holdings); i++) await opener.unseal(sealed[i], context(i));
      }
    }),
  );
  return { sealing, opening, ...(periodKeys ? { store: storeCalls } : {}) };
}
