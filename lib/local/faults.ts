/**
 * Seeded fault decisions for local fault injection (the receiver's `failRandomly`, the reliability tests' proxy in
 * front of DynamoDB Local and s3rver): whether a call fails, and with which fault, is a pure function of the seed,
 * the call's identity (what it is about: a system and its subjects, a table and a key) and how many times that
 * same call was made before. The decisions therefore do not depend on how concurrent calls interleave, and a run
 * with the same seed and the same subjects meets the same faults at the same attempts: a failure reproduces.
 *
 * The fraction is read from SHA-256 (node:crypto): uniform, no state, nothing to hand-roll.
 */
import { createHash } from 'node:crypto';
import { LocalModeError } from './errors';

/** A number in [0, 1) derived from the seed and the parts; the same inputs always give the same number. */
export function seededFraction(seed: number | string, ...parts: readonly (string | number)[]): number {
  const digest = createHash('sha256')
    .update(JSON.stringify([String(seed), ...parts.map(String)]))
    .digest();
  // 48 bits: exact in a double.
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

export interface RandomFaultsOptions<F> {
  /** The share of calls that fail, from 0 to 1 (0.3: 30 %). */
  readonly rate: number;
  readonly seed: number | string;
  /** The faults to pick from (one is drawn per failing call, with the same seed). */
  readonly faults: readonly F[];
}

/**
 * Decides, call by call, which calls fail and how. `decide(identity)` counts the attempts per identity, so the
 * n-th attempt of the same call always gets the same decision.
 */
export class SeededFaults<F> {
  private readonly attempts = new Map<string, number>();

  public constructor(private readonly options: RandomFaultsOptions<F>) {
    const { rate, faults } = options;
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new LocalModeError(`rate must be a number from 0 to 1, got ${rate}`);
    if (faults.length === 0) throw new LocalModeError('at least one fault to draw from is needed');
  }

  public get seed(): number | string {
    return this.options.seed;
  }

  /** The fault for this attempt of the call, or undefined: the call goes through. */
  public decide(identity: string): F | undefined {
    const attempt = this.attempts.get(identity) ?? 0;
    this.attempts.set(identity, attempt + 1);
    if (seededFraction(this.options.seed, 'fails', identity, attempt) >= this.options.rate) return undefined;
    const { faults } = this.options;
    return faults[Math.floor(seededFraction(this.options.seed, 'fault', identity, attempt) * faults.length)];
  }
}
