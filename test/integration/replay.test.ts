/**
 * Replay after a restore, end to end in local mode (issue 19, item 3): a copy of the profiles table (DynamoDB Local)
 * is taken, a subject is erased, the copy is restored (the subject is back), `lethe replay` runs the replay workflow
 * through local mode's Step Functions endpoint, and the subject is gone again; the bystander's item is byte-for-byte
 * as it was, and a second replay finds nothing. The CLI's output holds no personal data.
 *
 * Needs Java 17+ (DynamoDB Local), as local mode does.
 */
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { runAsync } from '../../lib/cli/main';
import { dynamoRecord, erase, type Harness, hold, seed, startHarness, statusBySystem, TABLES, testUser } from './support/harness';

jest.setTimeout(180_000);

let harness: Harness | undefined;

beforeAll(async () => {
  harness = await startHarness();
}, 180_000);

afterAll(async () => {
  await harness?.stop();
}, 60_000);

async function lethe(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runAsync(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

test('a subject erased, brought back by a restore of the table, is gone again after lethe replay; the bystander is untouched', async () => {
  const { local } = harness!;
  const since = new Date().toISOString();
  const user1 = testUser('it-replay-1', 'Rita Återställd');
  const user10 = testUser('it-replay-10', 'Rune Bredvid');
  const collected = new Date(Date.now() - 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const user of [user1, user10]) {
    await seed(local, user, ['profiles']);
    await hold(local, user, 'account', 'profiles', collected, { userId: user.id });
  }
  // GIVEN a copy of the profiles table taken before the erasure (a backup)
  const scan = async () =>
    (await local.clients.documents.send(new ScanCommand({ TableName: TABLES.profiles, ConsistentRead: true }))).Items ?? [];
  const backup = await scan();
  const bystanderBefore = JSON.stringify(await dynamoRecord(local, 'profiles', user10));

  // WHEN user1 is erased
  const view = await erase(local, user1);
  expect(statusBySystem(view)).toMatchObject({ profiles: 'erased' });
  expect(await dynamoRecord(local, 'profiles', user1)).toBeUndefined();

  // AND the table is restored from the copy: user1 is back
  for (const item of backup) await local.clients.documents.send(new PutCommand({ TableName: TABLES.profiles, Item: item }));
  expect(await dynamoRecord(local, 'profiles', user1)).toMatchObject({ name: user1.name });

  // THEN lethe replay, through the replay workflow, finds user1 again and erases it again
  const common = ['--system', 'profiles', '--since', since, '--state-machine-arn', local.names.replayStateMachineArn];
  const first = await lethe('replay', ...common, '--endpoint-url', local.endpoints.aws);
  expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(first.stdout)).toMatchObject({
    system: 'profiles',
    tombstones: 1,
    foundAgain: 1,
    nothingFound: 0,
    shredded: 0,
    failed: [],
  });
  expect(await dynamoRecord(local, 'profiles', user1)).toBeUndefined();
  // the bystander's item byte for byte as before the erasure
  expect(JSON.stringify(await dynamoRecord(local, 'profiles', user10))).toBe(bystanderBefore);
  // no personal data in what the CLI printed
  for (const pd of [user1.id, user1.name, user1.email, user1.phone]) expect(first.stdout).not.toContain(pd);

  // AND a second replay finds nothing and changes nothing
  const again = await lethe('replay', ...common, '--endpoint-url', local.endpoints.aws);
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ tombstones: 1, foundAgain: 0, nothingFound: 1 });
  expect(JSON.stringify(await dynamoRecord(local, 'profiles', user10))).toBe(bystanderBefore);
});
