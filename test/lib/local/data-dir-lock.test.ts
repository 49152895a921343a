/**
 * lib/local/data-dir-lock.ts: one local Lethe per data directory, and a lock left by a dead process (whose pid the
 * kernel may since have given to another process) does not keep the next start out.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LocalModeError } from '../../../lib/local/errors';
import { LOCK_FILE_NAME, lockDataDir, ownerIsAlive, processFacts, processStartTime } from '../../../lib/local/data-dir-lock';
import { tempDir } from '../../support/temp-dir';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Another live process: a node that waits. */
function otherProcess(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

/**
 * A zombie: a process that has exited but that its parent has not collected. `sh` starts `sleep 0` in the background,
 * prints its pid, and becomes `sleep 30`, which never collects it. (This is what a SIGKILLed local mode is for a moment,
 * once init has adopted it: the CI failure this lock was changed for.)
 */
async function zombieProcess(): Promise<number> {
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(parent);
  const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))));
  for (let waited = 0; !processFacts(pid)?.exited; waited += 10) {
    if (waited > 5_000) throw new Error(`process ${pid} did not become a zombie`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return pid;
}

const freshDir = () => tempDir('lethe-lock-');
const lockFile = (dir: string) => path.join(dir, LOCK_FILE_NAME);
/** A pid above the kernel's limit (PID_MAX_LIMIT is 2^22): never a process. */
const NO_PROCESS = 2 ** 22 + 1;

test('GIVEN a free data directory WHEN it is locked THEN the file names this process and its start time, and the release removes it', () => {
  const dir = freshDir();
  const release = lockDataDir(dir);
  const [pid, start] = readFileSync(lockFile(dir), 'utf8').trim().split(' ');
  expect(Number(pid)).toBe(process.pid);
  if (process.platform === 'linux') expect(start).toMatch(/^\d+$/);
  release();
  expect(existsSync(lockFile(dir))).toBe(false);
});

test('the start time of a process is stable, differs between processes, and is absent for a pid with no process', () => {
  const other = otherProcess();
  expect(processStartTime(process.pid)).toBe(processStartTime(process.pid));
  if (process.platform === 'linux') {
    expect(processStartTime(process.pid)).toBeDefined();
    expect(processStartTime(other)).toBeDefined();
  }
  expect(processStartTime(NO_PROCESS)).toBeUndefined();
});

test.each([
  { owner: 'a live process at its recorded start', alive: true, make: () => ({ pid: otherProcess(), start: 'recorded' }) },
  { owner: 'a live process, no start recorded (an older lock file)', alive: true, make: () => ({ pid: otherProcess() }) },
  { owner: 'a pid with no process', alive: false, make: () => ({ pid: NO_PROCESS }) },
  { owner: 'a live process that started at another time (a reused pid)', alive: false, make: () => ({ pid: otherProcess(), start: '1' }) },
  { owner: 'this process itself', alive: false, make: () => ({ pid: process.pid }) },
])('GIVEN a lock owned by $owner THEN ownerIsAlive is $alive', ({ make, alive }) => {
  const { pid, start } = make() as { pid: number; start?: string };
  const recorded = start === 'recorded' ? { pid, start: processStartTime(pid) } : { pid, start };
  expect(ownerIsAlive(recorded)).toBe(alive);
});

test('GIVEN the owner has exited but not been collected (a zombie, which still answers kill(pid, 0)) THEN it is not alive, and its lock is taken', async () => {
  const zombie = await zombieProcess();
  expect(() => process.kill(zombie, 0)).not.toThrow();
  const start = processStartTime(zombie);
  expect(ownerIsAlive(start === undefined ? { pid: zombie } : { pid: zombie, start })).toBe(false);
  const dir = freshDir();
  writeFileSync(lockFile(dir), start === undefined ? `${zombie}\n` : `${zombie} ${start}\n`);
  const release = lockDataDir(dir);
  expect(Number(readFileSync(lockFile(dir), 'utf8').split(' ')[0])).toBe(process.pid);
  release();
});

test('GIVEN a live other local Lethe holds the directory WHEN another start locks it THEN a LocalModeError names that process and the file is kept', () => {
  const dir = freshDir();
  const other = otherProcess();
  const start = processStartTime(other);
  const content = start === undefined ? `${other}\n` : `${other} ${start}\n`;
  writeFileSync(lockFile(dir), content);
  expect(() => lockDataDir(dir)).toThrow(LocalModeError);
  expect(() => lockDataDir(dir)).toThrow(`another local Lethe (process ${other}) is using the data directory ${dir}`);
  expect(readFileSync(lockFile(dir), 'utf8')).toBe(content);
});

test.each([
  ['a pid that was reused by an unrelated process (a SIGKILLed owner)', () => `${otherProcess()} 1\n`],
  ['a pid with no process', () => `${NO_PROCESS} 12345\n`],
  ['an unreadable file', () => 'not a pid\n'],
])('GIVEN a lock file left by %s WHEN the directory is locked THEN it is taken', (_what, content) => {
  const dir = freshDir();
  writeFileSync(lockFile(dir), content());
  const release = lockDataDir(dir);
  expect(Number(readFileSync(lockFile(dir), 'utf8').split(' ')[0])).toBe(process.pid);
  release();
});

test('a release removes only its own lock: a file another start has since written is kept', () => {
  const dir = freshDir();
  const release = lockDataDir(dir);
  writeFileSync(lockFile(dir), `${NO_PROCESS} 1\n`);
  release();
  expect(existsSync(lockFile(dir))).toBe(true);
});
