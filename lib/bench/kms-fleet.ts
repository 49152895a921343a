/**
 * KMS as production sees it (issue 16): in local mode one worker runs each function, so one Sealer (one data key)
 * seals every holding and one opens them all. On Lambda every concurrent execution environment has its own Sealer,
 * hence its own data key, and every environment that opens a holding must ask KMS to decrypt that holding's data key
 * once. This runs the real Sealer (lib/runtime/sealing.ts) as that fleet: `sealingContainers` environments seal the
 * holdings (one after another per environment, holding i in environment i mod n, as concurrent registrations
 * spread), then `openingContainers` environments open them, batch j in environment j mod m (the sweep's Map
 * children). It counts the KMS calls the Sealers make.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
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
}

export interface FleetCalls {
  /** KMS calls by operation (GenerateDataKey, Decrypt). */
  readonly sealing: Readonly<Record<string, number>>;
  readonly opening: Readonly<Record<string, number>>;
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

export async function kmsFleet(options: FleetOptions): Promise<FleetCalls> {
  const sealing: Record<string, number> = {};
  const opening: Record<string, number> = {};
  const context = (i: number) => holdingContext('bench', 'fleet', `ref-${i}`);
  const sealers = Array.from({ length: options.sealingContainers }, () => new Sealer(counting(options.kms, sealing), options.keyId));
  const sealed: string[] = new Array<string>(options.holdings);
  await Promise.all(
    sealers.map(async (sealer, c) => {
      for (let i = c; i < options.holdings; i += sealers.length) sealed[i] = await sealer.seal({ subjectId: `s-${i}` }, context(i));
    }),
  );
  const openers = Array.from({ length: options.openingContainers }, () => new Sealer(counting(options.kms, opening), options.keyId));
  const batches = Math.ceil(options.holdings / options.batchSize);
  await Promise.all(
    openers.map(async (opener, c) => {
      for (let b = c; b < batches; b += openers.length) {
        const from = b * options.batchSize;
        for (let i = from; i < Math.min(from + options.batchSize, options.holdings); i++) await opener.unseal(sealed[i], context(i));
      }
    }),
  );
  return { sealing, opening };
}
