/**
 * Canonical JSON and the hash of an audit record. Canonical: object keys sorted, no whitespace, `undefined`
 * members left out; so the hash depends only on the record's content, never on how it was formatted or in
 * which order its keys were written.
 */
import { createHash } from 'node:crypto';
import type { AuditRecord } from '../core/contract';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`cannot put ${typeof value} in canonical JSON`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The record's hash: SHA-256 over the canonical JSON of every field except `hash` itself. */
export function hashOfRecord(record: Omit<AuditRecord, 'hash'> & { readonly hash?: unknown }): string {
  const { hash: _ignored, ...content } = record;
  void _ignored;
  return sha256Hex(canonicalJson(content));
}
