/**
 * Canonical JSON and the hash of an audit record. Canonical JSON is RFC 8785 (JSON Canonicalization Scheme), written
 * by the `canonicalize` package: object keys sorted by UTF-16 code unit, no whitespace, numbers and strings as
 * ECMAScript writes them, `undefined` members left out; so the hash depends only on the record's content, never on
 * how it was formatted or in which order its keys were written. Values that are not I-JSON (NaN, Infinity, a lone
 * surrogate in a string) have no canonical form and are refused.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditRecord } from '../core/contract';

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError(`cannot put ${typeof value} in canonical JSON`);
  return text;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The record's hash: SHA-256 over the canonical JSON of every field except `hash` itself. */
export function hashOfRecord(record: Omit<AuditRecord, 'hash'> & { readonly hash?: unknown }): string {
  const { hash: _ignored, ...content } = record;
  return sha256Hex(canonicalJson(content));
}
