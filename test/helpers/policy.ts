/**
 * Test helpers: small policies written inline, and terse instants.
 */
import { Temporal } from '@js-temporal/polyfill';
import { stringify } from 'yaml';
import { PolicyValidationError } from '../../lib/policy/errors';
import { loadPolicyData, loadPolicyText } from '../../lib/policy/load';
import type { Policy } from '../../lib/policy/model';

/** A valid policy document; `purposes`, `systems` and top-level keys can be overridden. */
export function basePolicyDoc(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    controller: { name: 'Exempel AB', id: '556000-0000', contact: 'dpo@example.se' },
    timezone: 'Europe/Stockholm',
    deployment: { regions: ['eu-north-1'] },
    events: ['order-completed', 'invoiced', 'account-closed', 'unsubscribed', 'last-login', 'ticket-closed'],
    categories: {
      identity: { description: 'Name' },
      contact: { description: 'E-mail, phone' },
      order: { description: 'Order history' },
      health: { description: 'Allergies', special: true },
    },
    systems: {
      crm: {
        connector: 'dynamodb',
        location: 'eu-north-1',
        fields: {
          name: { category: 'identity', anonymise: { strategy: 'redact', value: '[erased]' } },
          email: { category: 'contact', anonymise: { strategy: 'hmac' } },
          phone: { category: 'contact' },
        },
      },
    },
    purposes: {
      service: { legalBasis: 'contract', categories: ['identity', 'contact'], systems: ['crm'], retention: { keep: 'P1Y' } },
    },
    ...overrides,
  };
}

/** A policy with one purpose `p` in system `crm` and the given retention. */
export function policyWithRetention(retention: unknown, top: Record<string, unknown> = {}): Policy {
  return loadPolicyData(
    basePolicyDoc({
      ...top,
      purposes: { p: { legalBasis: 'contract', categories: ['identity'], systems: ['crm'], retention } },
    }),
  ).policy;
}

export function policyFromDoc(doc: Record<string, unknown>): Policy {
  return loadPolicyData(doc).policy;
}

/** Round-trips a document through YAML text, so that errors carry line numbers. */
export function yamlOf(doc: unknown): string {
  return stringify(doc);
}

export function loadYaml(text: string) {
  return loadPolicyText(text, 'policy.yaml');
}

export const instant = (iso: string): Temporal.Instant => Temporal.Instant.from(iso);

/** The issues a document produces, as `path: message`; none when it is valid. */
export function issuesOf(doc: unknown): string[] {
  try {
    loadPolicyData(doc);
    return [];
  } catch (error) {
    if (!(error instanceof PolicyValidationError)) throw error;
    return error.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

/** Matches one `path: message` of `issuesOf`: the exact path, then a message matching `message`. */
export const issueAt = (path: string, message: RegExp) =>
  expect.stringMatching(new RegExp(`^${path.replace(/[.[\]]/g, '\\$&')}: .*${message.source}`));

export type Doc = Record<string, any>;

/** The base policy document, copied, with `change` applied; `top` overrides top-level keys first (e.g. `version`). */
export function mutate(change: (doc: Doc) => void = () => undefined, top: Record<string, unknown> = {}): Doc {
  const doc = structuredClone(basePolicyDoc(top)) as Doc;
  change(doc);
  return doc;
}

/** A valid purpose in `crm` (contract, identity, one year), with `extra` keys over it. */
export const purposeDoc = (extra: Doc = {}): Doc => ({
  legalBasis: 'contract',
  categories: ['identity'],
  systems: ['crm'],
  retention: { keep: 'P1Y' },
  ...extra,
});
