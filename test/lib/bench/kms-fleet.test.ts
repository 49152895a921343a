/**
 * KMS as production sees it (lib/bench/kms-fleet.ts): each container seals with its own data key, and each
 * container that opens must decrypt every data key it meets once.
 */
import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { kmsFleet } from '../../../lib/bench/kms-fleet';
import type { PeriodKeyStore } from '../../../lib/runtime/period-keys';

/** The runtime's period table (period-keys.ts) in memory: the first key stored for a period is everyone's. */
function memoryStore(): PeriodKeyStore & { readonly items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    get: async (period) => items.get(period),
    putFirst: async (period, encrypted) => {
      if (!items.has(period)) items.set(period, encrypted);
      return items.get(period)!;
    },
  };
}

const kmsMock = mockClient(KMSClient);

beforeEach(() => {
  // GIVEN a KMS whose data keys decrypt to what it generated
  kmsMock.reset();
  const keys = new Map<string, Uint8Array>();
  kmsMock.on(GenerateDataKeyCommand).callsFake(async () => {
    const plaintext = randomBytes(32);
    const blob = randomBytes(48);
    keys.set(blob.toString('base64'), plaintext);
    return { Plaintext: plaintext, CiphertextBlob: blob };
  });
  kmsMock.on(DecryptCommand).callsFake(async (input: { CiphertextBlob: Uint8Array }) => ({
    Plaintext: keys.get(Buffer.from(input.CiphertextBlob).toString('base64')),
  }));
});

describe('kmsFleet', () => {
  it.each([
    // one bench process: one key, one Decrypt
    { sealing: 1, opening: 1, holdings: 100, batch: 25, keys: 1, decrypts: 1 },
    // production-like: 8 registering containers, 10 sweep children, batches of 25 hold every key
    { sealing: 8, opening: 10, holdings: 1000, batch: 25, keys: 8, decrypts: 80 },
    // fewer batches than opening containers: only the containers that get a batch ask
    { sealing: 4, opening: 10, holdings: 8, batch: 4, keys: 4, decrypts: 2 * 4 },
    // a batch smaller than the keys: a container meets only the keys of its holdings
    { sealing: 4, opening: 2, holdings: 8, batch: 2, keys: 4, decrypts: 2 * 2 },
  ])(
    '$sealing sealing and $opening opening containers over $holdings holdings: $keys data keys, $decrypts Decrypts',
    async ({ sealing, opening, holdings, batch, keys, decrypts }) => {
      // WHEN the fleet seals and opens the holdings
      const calls = await kmsFleet({
        kms: new KMSClient({ region: 'eu-north-1' }),
        keyId: 'alias/test',
        holdings,
        sealingContainers: sealing,
        openingContainers: opening,
        batchSize: batch,
      });
      // THEN one data key per sealing container, and one Decrypt per opening container and key it met
      expect(calls).toEqual({ sealing: { GenerateDataKey: keys }, opening: { Decrypt: decrypts } });
    },
  );

  const HOUR = 3_600_000;
  it.each([
    // all sealed at one instant (the bench's model): the 8 race for the hour's key, 7 lose and decrypt the winner's;
    // each sweep container decrypts one key, not 8
    {
      span: 0,
      own: { sealing: { GenerateDataKey: 8 }, opening: { Decrypt: 80 } },
      shared: { GenerateDataKey: 8, Decrypt: 7 },
      opened: 10,
      store: { get: 8, putFirst: 8 },
    },
    // registered over an hour: 12 own keys per container (5 minutes each), met by every sweep container; shared, the
    // one hour's key, decrypted again by each sealing container every 5 minutes (the revocation window)
    {
      span: HOUR,
      own: { sealing: { GenerateDataKey: 96 }, opening: { Decrypt: 382 } },
      shared: { GenerateDataKey: 8, Decrypt: 95 },
      opened: 10,
      store: { get: 8, putFirst: 8 },
    },
  ])(
    'registered over $span ms by 8 containers, swept by 10: one key per period instead of one per container',
    async ({ span, own, shared, opened, store }) => {
      const fleet = (periodKeys?: PeriodKeyStore) =>
        kmsFleet({
          kms: new KMSClient({ region: 'eu-north-1' }),
          keyId: 'alias/test',
          holdings: 1000,
          sealingContainers: 8,
          openingContainers: 10,
          batchSize: 25,
          sealingSpanMs: span,
          ...(periodKeys ? { periodKeys } : {}),
        });
      // WHEN the same fleet seals with keys of its own (before issue 16), then with the hour's shared key
      expect(await fleet()).toEqual(own);
      const periods = memoryStore();
      const calls = await fleet(periods);
      // THEN one key is stored for the hour, and the sweep's containers decrypt it once each
      expect(calls).toEqual({ sealing: shared, opening: { Decrypt: opened }, store });
      expect([...periods.items.keys()]).toEqual(['2026-12-04T00:00:00Z']);
    },
  );

  it('registered over a day: the sweep decrypts a key per period and container it meets, not one per holding', async () => {
    const fleet = (periodKeys?: PeriodKeyStore) =>
      kmsFleet({
        kms: new KMSClient({ region: 'eu-north-1' }),
        keyId: 'alias/test',
        holdings: 1000,
        sealingContainers: 8,
        openingContainers: 10,
        batchSize: 25,
        sealingSpanMs: 24 * HOUR,
        ...(periodKeys ? { periodKeys } : {}),
      });
    // GIVEN holdings registered every 86 s by one of 8 containers: each one's own key is 5 minutes old at its next
    expect(await fleet()).toEqual({ sealing: { GenerateDataKey: 1000 }, opening: { Decrypt: 1000 } });
    // WHEN they share the hour's key
    const periods = memoryStore();
    const calls = await fleet(periods);
    // THEN 24 keys are stored, and the 40 batches of 25 consecutive registrations meet one or two hours each
    expect(periods.items.size).toBe(24);
    expect(calls.opening.Decrypt).toBeGreaterThanOrEqual(40);
    expect(calls.opening.Decrypt).toBeLessThanOrEqual(80);
  });
});
