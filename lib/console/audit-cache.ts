/**
 * What the console server has read of the audit bucket, kept between visits: the proof page and every request's page
 * verify the whole chain (audit-view.ts), and a chain read object by object again on each visit costs one GET per
 * object. An object's text is kept while the bucket lists its name with the same ETag (AuditSource `listedVersion`):
 * the listing is read on every visit, so an object written over since (an edit) is read again and verified as it is
 * now, and a removed one is missing from the names. Only the texts are kept; each visit still checks every record.
 *
 * Texts are kept up to `maxChars` in all, the first read first (the oldest records, which never change on an intact
 * chain); past it, objects are read on every visit as before.
 */
import type { AuditSource } from '../audit/verify';
import { ConsoleError } from './errors';

/** AuditReadCacheProps.maxChars' default: 64 Mi characters (audit records are ASCII JSON: about 64 MiB). */
export const DEFAULT_AUDIT_CACHE_CHARS = 64 * 1024 * 1024;

export interface AuditReadCacheProps {
  /**
   * The most characters of audit object text kept, in all.
   * @default DEFAULT_AUDIT_CACHE_CHARS (64 Mi)
   */
  readonly maxChars?: number;
}

/** One console server's cache of audit texts, by object name and listed version. */
export class AuditReadCache {
  private readonly maxChars: number;
  private readonly kept = new Map<string, { readonly version: string; readonly text: string }>();
  private chars = 0;

  public constructor(props: AuditReadCacheProps = {}) {
    this.maxChars = props.maxChars ?? DEFAULT_AUDIT_CACHE_CHARS;
    if (!Number.isSafeInteger(this.maxChars) || this.maxChars < 0) {
      throw new ConsoleError(`the audit cache cannot keep ${String(props.maxChars)} characters: maxChars is a whole number, 0 or more`);
    }
  }

  /** How much is kept now. */
  public get size(): { readonly objects: number; readonly chars: number } {
    return { objects: this.kept.size, chars: this.chars };
  }

  /** `source`, read through this cache: a name listed with the version it was read at is not read again. */
  public wrap(source: AuditSource): AuditSource {
    const listedVersion = source.listedVersion?.bind(source);
    // A source that cannot tell versions is read as it is: nothing could say that a kept text is still the object's.
    if (!listedVersion) return source;
    return {
      description: source.description,
      names: async () => {
        const names = await source.names();
        this.forgetAllBut(new Set(names));
        return names;
      },
      listedVersion,
      read: async (name) => {
        // The version listed before the read: if the object changes in between, the text read is newer than the
        // version it is kept under, and the next listing's version differs, so it is read again. Never the reverse.
        const version = listedVersion(name);
        const kept = this.kept.get(name);
        if (version !== undefined && kept?.version === version) return kept.text;
        const text = await source.read(name);
        this.keep(name, version, text);
        return text;
      },
    };
  }

  /** A name no longer listed (its object removed) is not kept. */
  private forgetAllBut(listed: ReadonlySet<string>): void {
    for (const [name, kept] of this.kept) {
      if (listed.has(name)) continue;
      this.kept.delete(name);
      this.chars -= kept.text.length;
    }
  }

  private keep(name: string, version: string | undefined, text: string): void {
    const old = this.kept.get(name);
    if (old) {
      this.kept.delete(name);
      this.chars -= old.text.length;
    }
    if (version === undefined || this.chars + text.length > this.maxChars) return;
    this.kept.set(name, { version, text });
    this.chars += text.length;
  }
}
