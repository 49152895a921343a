/**
 * The GDPR Art. 30(1) record of processing activities, generated from the policy, so that what the DPO
 * files with the supervisory authority is what Lethe enforces. Rendered as Markdown, CSV or JSON.
 */
import { stringify } from 'csv-stringify/sync';
import type { LegalBasis, Policy } from '../policy/model';
import { describeLocation, parseLocation } from '../policy/regions';
import { describeRetention } from '../retention/describe';

export const REGISTER_FORMATS = ['md', 'csv', 'json'] as const;
export type RegisterFormat = (typeof REGISTER_FORMATS)[number];

const LEGAL_BASIS_TEXT: Record<LegalBasis, string> = {
  consent: 'Consent, Art. 6(1)(a)',
  contract: 'Performance of a contract, Art. 6(1)(b)',
  'legal-obligation': 'Legal obligation, Art. 6(1)(c)',
  'vital-interests': 'Vital interests, Art. 6(1)(d)',
  'public-task': 'Public task, Art. 6(1)(e)',
  'legitimate-interest': 'Legitimate interests, Art. 6(1)(f)',
};

const ERASURE_TEXT = {
  erase: 'erased',
  anonymise: 'anonymised',
  retain: 'retained, processing restricted to storage (Art. 18)',
} as const;

export interface RegisterActivity {
  readonly purpose: string;
  readonly description: string;
  readonly dataSubjects: readonly string[];
  readonly legalBasis: string;
  readonly law?: string;
  readonly categories: readonly { readonly id: string; readonly description?: string; readonly special: boolean }[];
  readonly systems: readonly {
    readonly id: string;
    readonly description?: string;
    readonly location: string;
    readonly processor?: string;
  }[];
  readonly recipients: readonly string[];
  readonly transfers: readonly { readonly system: string; readonly location: string; readonly safeguard: string }[];
  readonly retention: string;
  readonly onExpiry: string;
  readonly onErasureRequest: string;
  readonly retainReason?: string;
}

export interface Register {
  readonly controller: Policy['controller'];
  readonly policyHash: string;
  readonly timezone: string;
  readonly deploymentRegions: readonly string[];
  readonly activities: readonly RegisterActivity[];
}

export function buildRegister(policy: Policy, policyHash: string): Register {
  const activities = Object.values(policy.purposes).map((p): RegisterActivity => {
    const systems = p.systems.map((id) => policy.systems[id]);
    return {
      purpose: p.id,
      description: p.description ?? p.id,
      dataSubjects: p.dataSubjects,
      legalBasis: p.legalBases.map((b) => LEGAL_BASIS_TEXT[b]).join('; '),
      law: p.law,
      categories: p.categories.map((id) => ({
        id,
        description: policy.categories[id]?.description,
        special: policy.categories[id]?.special ?? false,
      })),
      systems: systems.map((s) => ({
        id: s.id,
        description: s.description,
        location: describeLocation(s.location),
        processor: s.processor,
      })),
      recipients: [...p.recipients, ...systems.filter((s) => s.processor).map((s) => `${s.processor} (processor, ${s.id})`)],
      transfers: systems
        .filter((s) => parseLocation(s.location)?.inEuEea === false)
        .map((s) => ({ system: s.id, location: describeLocation(s.location), safeguard: s.transferSafeguard ?? '' })),
      retention: describeRetention(p.retention, policy.fiscalYearEnd),
      onExpiry: p.onExpiry === 'erase' ? 'erased' : 'anonymised',
      onErasureRequest: ERASURE_TEXT[p.onErasureRequest],
      retainReason: p.onErasureRequest === 'retain' ? p.retainReason : undefined,
    };
  });
  return { controller: policy.controller, policyHash, timezone: policy.timezone, deploymentRegions: policy.deployment.regions, activities };
}

export function renderRegister(register: Register, format: RegisterFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(register, null, 2)}\n`;
    case 'csv':
      return renderCsv(register);
    case 'md':
      return renderMarkdown(register);
  }
}

const categoryText = (c: RegisterActivity['categories'][number]): string =>
  `${c.description ? `${c.id} (${c.description})` : c.id}${c.special ? ' — special category, Art. 9' : ''}`;
const systemText = (s: RegisterActivity['systems'][number]): string =>
  `${s.id}${s.description ? ` (${s.description})` : ''}, ${s.location}${s.processor ? `, operated by ${s.processor}` : ''}`;
const transferText = (t: RegisterActivity['transfers'][number]): string => `${t.system} → ${t.location}: ${t.safeguard}`;
const orNone = (items: readonly string[], none = 'None'): string => (items.length === 0 ? none : items.join('; '));

function renderCsv(register: Register): string {
  const header = [
    'purpose',
    'description',
    'data subjects',
    'legal basis',
    'law',
    'categories of personal data',
    'special categories',
    'systems',
    'recipients',
    'third-country transfers',
    'retention',
    'on expiry',
    'on erasure request',
    'reason for retention',
  ];
  const rows = register.activities.map((a) => [
    a.purpose,
    a.description,
    a.dataSubjects.join('; '),
    a.legalBasis,
    a.law ?? '',
    a.categories.map((c) => c.id).join('; '),
    a.categories
      .filter((c) => c.special)
      .map((c) => c.id)
      .join('; '),
    a.systems.map(systemText).join('; '),
    a.recipients.join('; '),
    a.transfers.map(transferText).join('; '),
    a.retention,
    a.onExpiry,
    a.onErasureRequest,
    a.retainReason ?? '',
  ]);
  return stringify([header, ...rows]);
}

/** Escapes text for a Markdown table cell. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function renderMarkdown(register: Register): string {
  const { controller } = register;
  const out: string[] = [];
  out.push(`# Record of processing activities`, '');
  out.push(
    `Kept under Article 30(1) of Regulation (EU) 2016/679 (GDPR). Generated by Lethe from the retention policy that Lethe enforces.`,
    '',
  );
  out.push(`## Controller`, '');
  out.push(`| | |`, `|---|---|`);
  out.push(`| Name | ${cell(controller.name)} |`);
  if (controller.id) out.push(`| Organisation number | ${cell(controller.id)} |`);
  out.push(`| Contact | ${cell(controller.contact)} |`);
  if (controller.supervisoryAuthority) out.push(`| Supervisory authority | ${cell(controller.supervisoryAuthority)} |`);
  out.push(`| Data hosted in | ${cell(register.deploymentRegions.map(describeLocation).join(', '))} |`);
  out.push(`| Policy version (SHA-256) | \`${register.policyHash.slice(0, 16)}\` |`, '');

  out.push(`## Summary`, '');
  out.push(`| Purpose | Legal basis | Retention | Third-country transfers |`, `|---|---|---|---|`);
  for (const a of register.activities) {
    out.push(
      `| ${cell(a.description)} | ${cell(a.legalBasis)} | ${cell(a.retention)} | ${a.transfers.length === 0 ? 'None' : cell(a.transfers.map(transferText).join('; '))} |`,
    );
  }
  out.push('');

  out.push(`## Processing activities`, '');
  register.activities.forEach((a, i) => {
    out.push(`### ${i + 1}. ${a.description}`, '');
    out.push(`| | |`, `|---|---|`);
    out.push(`| Purpose (id) | \`${a.purpose}\` |`);
    out.push(`| Categories of data subjects | ${cell(orNone(a.dataSubjects, 'Not stated in the policy'))} |`);
    out.push(`| Legal basis | ${cell(a.law ? `${a.legalBasis}: ${a.law}` : a.legalBasis)} |`);
    out.push(`| Categories of personal data | ${cell(a.categories.map(categoryText).join('; '))} |`);
    out.push(`| Systems | ${cell(a.systems.map(systemText).join('; '))} |`);
    out.push(`| Recipients | ${cell(orNone(a.recipients))} |`);
    out.push(`| Transfers to third countries | ${cell(orNone(a.transfers.map(transferText)))} |`);
    out.push(`| Time limit for erasure | ${cell(a.retention)}; then ${a.onExpiry} |`);
    out.push(
      `| On a request for erasure (Art. 17) | ${cell(a.retainReason ? `${a.onErasureRequest}: ${a.retainReason}` : a.onErasureRequest)} |`,
    );
    out.push('');
  });
  if (register.activities.some((a) => a.categories.some((c) => c.special))) {
    out.push(
      `Special categories of personal data (Art. 9) are marked; their processing requires a condition of Art. 9(2) in addition to the legal basis shown.`,
      '',
    );
  }
  out.push(
    `The time limits and erasure rules above are read from the same policy file that Lethe enforces; this record changes when the policy does.`,
    '',
  );
  return out.join('\n');
}
