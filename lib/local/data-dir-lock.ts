/**
 * One local Lethe per data directory.
 *
 * The lock is a file, `local.pid`, holding the owner's process id and that process's start time. A pid alone is
 * not enough: after a crash or a SIGKILL the file stays, and the kernel hands the same pid to some later process,
 * which would then look like a live owner. So a lock counts as held only while a process with that pid exists
 * AND started at the recorded time AND has not exited (a zombie still has its pid): on Linux from /proc, elsewhere
 * from `ps`. Where these cannot be read, the check falls back to the pid alone.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LocalModeError } from './errors';

export const LOCK_FILE_NAME = 'local.pid';

/** What the lock file records: `<pid> <start>`, or `<pid>` where the start time could not be read. */
interface LockOwner {
  readonly pid: number;
  readonly start?: string;
}

/** What the lock needs to know of a process: when it started, and whether it has already exited. */
export interface ProcessFacts {
  /** An opaque text that differs between two processes that had the same pid; `undefined` where it cannot be read. */
  readonly start: string | undefined;
  /**
   * A zombie: the process has exited, but its parent has not collected it yet. When a local mode is killed with its
   * launcher, it is reparented to init, which may take a moment (about 2 s measured here) to collect it; meanwhile
   * its pid still answers `kill(pid, 0)`.
   */
  readonly exited: boolean;
}

/** The facts of the process with this pid; `undefined` if there is none, or they cannot be read here. */
export function processFacts(pid: number): ProcessFacts | undefined {
  if (process.platform === 'linux') {
    try {
      // /proc/<pid>/stat: field 3 is the state (Z zombie, X dead), field 22 the start time in clock ticks after
      // boot. The command name (field 2) is in parentheses and may hold spaces, so count from its closing one.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const start = fields[22 - 3];
      return { start: start && /^\d+$/.test(start) ? start : undefined, exited: /^[ZX]/.test(fields[0] ?? '') };
    } catch {
      return undefined;
    }
  }
  if (process.platform === 'win32') return undefined;
  try {
    const [state = '', ...started] = execFileSync('ps', ['-o', 'stat=', '-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    })
      .trim()
      .split(/\s+/);
    if (state === '') return undefined;
    return { start: started.length > 0 ? started.join('_') : undefined, exited: state.startsWith('Z') };
  } catch {
    return undefined;
  }
}

/** When the process with this pid started (see {@link ProcessFacts.start}). */
export const processStartTime = (pid: number): string | undefined => processFacts(pid)?.start;

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

/**
 * Whether the recorded owner is a process that is still running: not gone, not exited and waiting to be collected,
 * and not a later process given the same pid.
 */
export function ownerIsAlive(owner: LockOwner): boolean {
  if (owner.pid === process.pid) return false;
  if (!pidExists(owner.pid)) return false;
  const facts = processFacts(owner.pid);
  if (facts?.exited) return false;
  if (owner.start === undefined || facts?.start === undefined) return true;
  return facts.start === owner.start;
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
