/**
 * lib/local/dynamodb-local.ts against the real DynamoDB Local jar (needs Java 17+, as local mode does): it listens
 * on 127.0.0.1 only, on a free port, answers the SDK, and leaves no Java process behind.
 */
import * as net from 'node:net';
import { networkInterfaces } from 'node:os';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../../../lib/local/dynamodb-local';
import { findJava, type JavaInstallation } from '../../../lib/local/java';

jest.setTimeout(120_000);

let java: JavaInstallation | undefined;
try {
  java = findJava();
} catch {
  java = undefined;
}
const withJava = java ? test : test.skip;

const connects = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

withJava('DynamoDB Local listens on 127.0.0.1 only, answers the SDK, and stops without leaving Java behind', async () => {
  // GIVEN DynamoDB Local started by local mode (in memory)
  const local = await startDynamoDbLocal({ java: java! });
  let stopped = false;
  try {
    expect(local.endpoint).toBe(`http://127.0.0.1:${local.port}`);
    expect(local.loopbackOnly).toBe(!!java!.javac);
    // THEN the SDK reaches it on loopback
    const client = new DynamoDBClient({
      region: 'eu-north-1',
      endpoint: local.endpoint,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    // AND no other address of this machine reaches it
    if (local.loopbackOnly) {
      const others = Object.values(networkInterfaces())
        .flat()
        .filter((i) => i && !i.internal && i.family === 'IPv4')
        .map((i) => i!.address);
      for (const address of others) expect(await connects(address, local.port)).toBe(false);
    }
    // WHEN it is stopped THEN the Java process is gone
    await local.stop();
    stopped = true;
    expect(() => process.kill(local.pid, 0)).toThrow();
  } finally {
    if (!stopped) await local.stop();
  }
});
