/**
 * How `lethe demo` prints (lib/demo): numbered steps with their lines and durations (`Script`), and the words it
 * shows for what it sees (an expiry, a change in a system's records). Shared by the scenario's steps
 * (scenario.ts) and the data-subject-rights steps (rights.ts).
 */
import { performance } from 'node:perf_hooks';
import type { HoldingAnswer } from '../runtime';
import type { SystemData } from './systems';

export interface DemoStep {
  readonly title: string;
  readonly ms: number;
}

export const seconds = (ms: number): string => (ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`);

export class Script {
  public readonly steps: DemoStep[] = [];

  public constructor(private readonly out: (line: string) => void) {}

  public say(line = ''): void {
    this.out(line);
  }

  /** Runs one numbered step: its title, its lines (indented), its duration. */
  public async step<T>(title: string, body: (say: (line: string) => void) => Promise<T>): Promise<T> {
    const n = this.steps.length + 1;
    this.out(`${String(n).padStart(2)}. ${title}`);
    const started = performance.now();
    try {
      const result = await body((line) => this.out(`    ${line}`));
      const ms = performance.now() - started;
      this.steps.push({ title, ms });
      this.out(`    done in ${seconds(ms)}`);
      return result;
    } catch (error) {
      this.out(`    failed after ${seconds(performance.now() - started)}`);
      throw error;
    }
  }
}

/** A holding answer in words: "expires 2034-01-01T00:00:00+01:00", "waiting for invoiced", "kept indefinitely". */
export function expiryWords(answer: Pick<HoldingAnswer, 'expiresAt' | 'indefinite' | 'waitingFor'>): string {
  if (answer.expiresAt) return `expires ${answer.expiresAt}`;
  if (answer.indefinite) return 'kept indefinitely';
  return `waiting for ${answer.waitingFor?.join(' or ') ?? 'an event'}`;
}

/** What changed in a system's records, in words; the field names only. */
export function describeChange(before: SystemData, after: SystemData): string {
  if (after.records.length === 0) return before.records.length === 0 ? 'held nothing' : `gone (${before.records.length} record(s) deleted)`;
  const fieldsBefore = new Map<string, unknown>();
  for (const r of before.records) for (const [k, v] of Object.entries(r)) fieldsBefore.set(k, v);
  const fieldsAfter = new Map<string, unknown>();
  for (const r of after.records) for (const [k, v] of Object.entries(r)) fieldsAfter.set(k, v);
  const removed = [...fieldsBefore.keys()].filter((k) => !fieldsAfter.has(k));
  const changed = [...fieldsAfter.keys()].filter(
    (k) => fieldsBefore.has(k) && JSON.stringify(fieldsBefore.get(k)) !== JSON.stringify(fieldsAfter.get(k)),
  );
  if (removed.length === 0 && changed.length === 0) return `unchanged (${after.records.length} record(s) kept)`;
  const kept = [...fieldsAfter.keys()].filter((k) => !changed.includes(k));
  return [
    'record kept',
    removed.length ? `removed: ${removed.join(', ')}` : '',
    changed.length ? `anonymised: ${changed.map((k) => `${k} = ${JSON.stringify(fieldsAfter.get(k))}`).join(', ')}` : '',
    kept.length ? `unchanged: ${kept.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

/** Whether two reads of a system hold the same records, value for value. */
export const sameData = (a: SystemData, b: SystemData): boolean => JSON.stringify(a.records) === JSON.stringify(b.records);
