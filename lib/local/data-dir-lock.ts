/**
 * One local Lethe per data directory.
 *
 * The lock is a file, `local.pid`, holding the owner's process id and that process's start time. A pid alone is
 * not enough: after a crash or a SIGKILL the file stays, and the kernel hands the same pid to some later process,
 * which would then look like a live owner. So a lock counts as held only while a process with that pid exists
 * AND started at the recorded time (on Linux from /proc, elsewhere from `ps`). Where the start time cannot be
 * read, the check falls back to the pid alone.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LocalModeError } from '../errors';

export const LOCK_FILE_NAME = 'local.pid';

/** What the lock file records: `<pid> <start>`, or `<pid>` where the start time could not be read. */
interface LockOwner {
  readonly pid: number;
  readonly start?: string;
}

/**
 * When the process with this pid started, as an opaque text that differs between two processes that had the same
 * pid; `undefined` if there is no such process or its start time cannot be read here.
 */
export function processStartTime(pid: number): string | undefined {
  if (process.platform === 'linux') {
    try {
      // Field 22 of /proc/<pid>/stat is the start time in clock ticks after boot. The command name (field 2) is in
      // parentheses and may hold spaces, so count the fields after its closing parenthesis.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const start = fields[22 - 3];
      return start && /^\d+$/.test(start) ? start : undefined;
    } catch {
      return undefined;
    }
  }
  if (process.platform === 'win32') return undefined;
  try {
    const start = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    }).trim();
    return start === '' ? undefined : start.replace(/\s+/g, '_');
  } catch {
    return undefined;
  }
}

function readOwner(file: string): LockOwner | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  const [pidText, start] = text.split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return start ? { pid, start } : { pid };
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the recorded owner is a process that is still running (and not a later process given the same pid). */
export function ownerIsAlive(owner: LockOwner): boolean {
  if (owner.pid === process.pid) return false;
  if (!pidExists(owner.pid)) return false;
  if (owner.start === undefined) return true;
  const now = processStartTime(owner.pid);
  return now === undefined || now === owner.start;
}

/**
 * Takes the data directory for this process, or throws a {@link LocalModeError} naming the live owner. Returns the
 * release, which removes the file only if it is still this process's.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, LOCK_FILE_NAME);
  const start = processStartTime(process.pid);
  const mine = start === undefined ? `${process.pid}` : `${process.pid} ${start}`;
  // Create the file only if it is absent ('wx'), so two starts at the same moment cannot both take it. A file left
  // by an owner that is gone is removed and the creation tried once more.
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, `${mine}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const owner = readOwner(file);
    if (owner && ownerIsAlive(owner)) {
      throw new LocalModeError(
        `another local Lethe (process ${owner.pid}) is using the data directory ${dataDir}; stop it (Ctrl-C in its terminal) or use another --data-dir`,
      );
    }
    rmSync(file, { force: true });
  }
  return function releaseDataDir() {
    try {
      if (readFileSync(file, 'utf8').trim() === mine) unlinkSync(file);
    } catch {
      // already gone
    }
  };
}
