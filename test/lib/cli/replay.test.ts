/**
 * lib/cli/replay.ts: `lethe replay --system <id> --since <instant>` starts the replay workflow and prints its counts
 * (Step Functions mocked with aws-sdk-client-mock); a usage error exits 2 without calling AWS; a failed replay exits 1
 * naming the error, never a cause.
 */
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { buildProgram, EXIT } from '../../../lib/cli/main';
import { addReplayCommand, instantOrUndefined } from '../../../lib/cli/replay';
import { type Command, CommanderError } from 'commander';

const ARN = 'arn:aws:states:eu-north-1:123456789012:stateMachine:lethe-replay';
const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());
afterAll(() => sfn.restore());

/** The CLI with the replay command polling at once, and no environment of the host. */
async function lethe(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => (stdout += t), stderr: (t: string) => (stderr += t) };
  const program = buildProgram(io);
  // The command as main.ts adds it, again with a 0 ms poll and the given environment.
  (program.commands as Command[]).splice(
    program.commands.findIndex((c) => c.name() === 'replay'),
    1,
  );
  addReplayCommand(program, io, EXIT.usage, { pollMs: 0, env });
  try {
    await program.parseAsync(['replay', ...args], { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    // As main.ts reports it: any commander error but help is a usage error.
    if (error instanceof CommanderError) return { code: error.exitCode === 0 ? EXIT.ok : EXIT.usage, stdout, stderr };
    return { code: EXIT.badInput, stdout, stderr: stderr + (error as Error).message };
  }
}

const OUTPUT = {
  replayId: 'r-1',
  system: 'crm',
  since: '2026-12-01T00:00:00Z',
  tombstones: 2,
  foundAgain: 1,
  nothingFound: 1,
  shredded: 0,
  failed: [],
  subjectsFoundAgain: ['a'.repeat(64)],
  counts: { records: 1, fields: 0, objects: 0 },
};

describe('lethe replay', () => {
  it('GIVEN a system and a restore point WHEN run THEN it starts the workflow with them, waits and prints its counts', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING' } as never)
      .resolves({ status: 'SUCCEEDED', output: JSON.stringify(OUTPUT) } as never);
    const result = await lethe({}, '--system', 'crm', '--since', '2026-12-01T00:00:00Z', '--state-machine-arn', ARN);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(OUTPUT);
    const start = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(start.stateMachineArn).toBe(ARN);
    expect(JSON.parse(start.input!)).toEqual({ system: 'crm', since: '2026-12-01T00:00:00Z' });
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(2);
  });

  it('GIVEN the ARN in LETHE_REPLAY_STATE_MACHINE_ARN and an end WHEN run THEN it uses both', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: JSON.stringify(OUTPUT) } as never);
    const result = await lethe(
      { LETHE_REPLAY_STATE_MACHINE_ARN: ARN },
      '--system',
      'crm',
      '--since',
      '2026-12-01T00:00:00+01:00',
      '--until',
      '2026-12-02T00:00:00Z',
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!)).toEqual({
      system: 'crm',
      since: '2026-12-01T00:00:00+01:00',
      until: '2026-12-02T00:00:00Z',
    });
  });

  it('GIVEN a failed replay WHEN run THEN exit 1 naming its error, not its cause', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', name: 'x', error: 'InputError', cause: 'secret cause' } as never);
    const result = await lethe({}, '--system', 'crm', '--since', '2026-12-01T00:00:00Z', '--state-machine-arn', ARN);
    expect(result.code).toBe(EXIT.badInput);
    expect(result.stderr).toContain('FAILED: InputError');
    expect(result.stderr).not.toContain('secret cause');
  });

  it.each([
    [['--since', '2026-12-01T00:00:00Z', '--state-machine-arn', ARN], /--system/],
    [['--system', 'crm', '--state-machine-arn', ARN], /--since/],
    [['--system', 'crm', '--since', 'yesterday', '--state-machine-arn', ARN], /--since: expected an ISO 8601 instant/],
    [['--system', 'crm', '--since', '2026-12-01', '--state-machine-arn', ARN], /--since: expected an ISO 8601 instant/],
    [['--system', 'Not A System', '--since', '2026-12-01T00:00:00Z', '--state-machine-arn', ARN], /--system: expected a system id/],
    [['--system', 'crm', '--since', '2026-12-02T00:00:00Z', '--until', '2026-12-01T00:00:00Z', '--state-machine-arn', ARN], /before/],
    [['--system', 'crm', '--since', '2026-12-01T00:00:00Z'], /--state-machine-arn/],
    [['--system', 'crm', '--since', '2026-12-01T00:00:00Z', '--state-machine-arn', 'lethe-replay'], /expected arn:aws:states/],
    [['--system', 'crm', '--since', '2026-12-01T00:00:00Z', '--state-machine-arn', ARN, '--endpoint-url', 'ftp://x'], /--endpoint-url/],
  ])('GIVEN %j WHEN run THEN a usage error (exit 2) naming it, and no call to AWS', async (args, message) => {
    const result = await lethe({}, ...args);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(message);
    expect(sfn.calls()).toHaveLength(0);
  });

  it.each([
    ['2026-12-01T00:00:00Z', true],
    ['2026-12-01T00:00:00.123+01:00', true],
    ['2026-12-01T00:00', false],
    ['2026-13-01T00:00:00Z', false],
  ])('reads %s as an instant: %s', (text, ok) => {
    expect(instantOrUndefined(text) !== undefined).toBe(ok);
  });
});
