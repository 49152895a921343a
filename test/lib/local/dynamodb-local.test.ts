/**
 * lib/local/dynamodb-local.ts against the real DynamoDB Local jar (needs Java 17+, as local mode does): it listens
 * on 127.0.0.1 only, on a free port, answers the SDK, and leaves no Java process behind; restarted (reliability
 * tests), it comes back on the same port with its data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
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

withJava('restart(): DynamoDB Local comes back on the same port with its data, and the old Java process is gone', async () => {
  // GIVEN DynamoDB Local with a database file, holding one table
  const dbPath = mkdtempSync(path.join(tmpdir(), 'lethe-ddb-restart-'));
  const local = await startDynamoDbLocal({ java: java!, dbPath });
  try {
    const client = new DynamoDBClient({
      region: 'eu-north-1',
      endpoint: local.endpoint,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await client.send(
      new CreateTableCommand({
        TableName: 'kept',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const before = local.pid;

    // WHEN it is killed (a crash) and started again after 300 ms
    await local.restart({ how: 'kill', downMs: 300 });

    // THEN the same endpoint answers with the same table, from a new process; the old one is gone
    expect(local.restarts).toBe(1);
    expect(local.pid).not.toBe(before);
    expect(() => process.kill(before, 0)).toThrow();
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['kept']);

    // AND a graceful restart works the same way
    await local.restart();
    expect(local.restarts).toBe(2);
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['kept']);
  } finally {
    await local.stop();
    rmSync(dbPath, { recursive: true, force: true });
  }
  expect(() => process.kill(local.pid, 0)).toThrow();
});

withJava('restart() refuses an in-memory DynamoDB Local, which would come back empty', async () => {
  const local = await startDynamoDbLocal({ java: java! });
  try {
    await expect(local.restart()).rejects.toThrow(/needs a database file/);
  } finally {
    await local.stop();
  }
});
