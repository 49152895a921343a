/**
 * KMS as production sees it (lib/bench/kms-fleet.ts): each container seals with its own data key, and each
 * container that opens must decrypt every data key it meets once.
 */
import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { kmsFleet } from '../../../lib/bench/kms-fleet';

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
});
