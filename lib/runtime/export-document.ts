/**
 * The access export (spec 2.4, Art. 15): from an access request's plan (`access`, per record the purposes,
 * categories and fields held) and each record's connector export (record action `export`), one document per
 * request, as JSON and as a human-readable HTML page in the subject's language (English or Swedish).
 *
 * Pure: no clock, no I/O; lib/runtime/exports.ts stores what this builds. Per purpose the document states the legal
 * bases (worded as the register words them, lib/register/texts.ts), the time limit in words (describeTimeLimit, as
 * the register states it) and, per system and record, the fields of that purpose's categories with their values.
 * A value held for two purposes appears under both: the subject reads, per purpose, what is held for it.
 *
 * The HTML page is self-contained (no script, no external resource: a Content-Security-Policy of `default-src
 * 'none'` with inline styles only) and every value is escaped, so a value such as `<script>` shows as text.
 */
import { Temporal } from '@js-temporal/polyfill';
import type { ConnectorExport, ConnectorExportObject } from '../core/contract';
import { InputError } from '../core/errors';
import type { AccessEntry } from '../planner/plan';
import type { LegalBasis, Policy } from '../policy/model';
import { TEXTS as REGISTER_TEXTS } from '../register/texts';
import { describeTimeLimit } from '../retention/describe';

/** The languages of the export document; a further one is one more entry in EXPORT_TEXTS. */
export const EXPORT_LANGS = ['en', 'sv'] as const;
export type ExportLang = (typeof EXPORT_LANGS)[number];

/** The document's format id: a reader can tell which version of this layout it has. */
export const EXPORT_FORMAT = 'lethe-access-export/1';

/** One record's connector export, by the record it is of (the plan's `system` and `ref`). */
export interface RecordExport {
  readonly system: string;
  readonly ref?: string;
  readonly export: ConnectorExport;
}

export interface ExportDocumentInput {
  readonly policy: Policy;
  readonly requestId: string;
  readonly generatedAt: Temporal.Instant;
  readonly lang: ExportLang;
  /** The plan's `access` (Plan.access): what is held, per record. */
  readonly access: readonly AccessEntry[];
  /** The connectors' exports; a record of `access` without one is stated as not available. */
  readonly exports: readonly RecordExport[];
}

export interface ExportDocumentField {
  readonly name: string;
  readonly category: string;
}

export interface ExportDocumentRecord {
  readonly system: string;
  readonly systemDescription?: string;
  readonly ref?: string;
  /** The fields of the purpose's categories that the policy lists for the system. */
  readonly fields: readonly ExportDocumentField[];
  /** What the system holds, each stored record with these fields' values; absent when `available` is false. */
  readonly records?: readonly { readonly source: string; readonly values: Readonly<Record<string, unknown>> }[];
  /** S3: the subject's objects (their keys and metadata). */
  readonly objects?: readonly ConnectorExportObject[];
  /** The connector left data out to stay within its bounds. */
  readonly truncated?: true;
  /** False when no export of this record came back (the connector failed). */
  readonly available: boolean;
}

export interface ExportDocumentPurpose {
  readonly purpose: string;
  readonly description?: string;
  readonly legalBases: readonly { readonly basis: LegalBasis; readonly text: string }[];
  readonly law?: string;
  /** The time limit in words, as the register states it. */
  readonly retention: string;
  readonly categories: readonly { readonly category: string; readonly description?: string }[];
  readonly records: readonly ExportDocumentRecord[];
}

export interface ExportDocument {
  readonly format: typeof EXPORT_FORMAT;
  readonly requestId: string;
  readonly lang: ExportLang;
  readonly controller: {
    readonly name: string;
    readonly id?: string;
    readonly contact: string;
    readonly dpo?: { readonly name?: string; readonly contact: string };
  };
  /** In the policy's time zone, with its offset. */
  readonly generatedAt: string;
  readonly purposes: readonly ExportDocumentPurpose[];
}

interface ExportTexts {
  readonly title: string;
  readonly intro: (controller: string) => string;
  readonly request: string;
  readonly generated: string;
  readonly controller: string;
  readonly contact: string;
  readonly dpo: string;
  readonly purpose: string;
  readonly legalBasis: string;
  readonly retention: string;
  readonly categories: string;
  readonly system: string;
  readonly item: string;
  readonly field: string;
  readonly category: string;
  readonly value: string;
  readonly notHeld: string;
  readonly nothingFound: string;
  readonly notAvailable: string;
  readonly truncated: string;
  readonly objects: string;
  readonly objectKey: string;
  readonly size: string;
  readonly modified: string;
  readonly contentType: string;
  readonly metadata: string;
  readonly contentNotIncluded: string;
  readonly nothingHeld: string;
}

const EXPORT_TEXTS: Record<ExportLang, ExportTexts> = {
  en: {
    title: 'Your personal data',
    intro: (controller) =>
      `This is a copy of the personal data ${controller} holds about you, with why and for how long, as Article 15 of the GDPR gives you the right to receive.`,
    request: 'Request',
    generated: 'Produced',
    controller: 'Controller',
    contact: 'Contact',
    dpo: 'Data protection officer',
    purpose: 'Purpose',
    legalBasis: 'Legal basis',
    retention: 'How long it is kept',
    categories: 'Categories of personal data',
    system: 'System',
    item: 'Item',
    field: 'Field',
    category: 'Category',
    value: 'Value',
    notHeld: '(not held)',
    nothingFound: 'The system holds nothing about you for this purpose.',
    notAvailable: 'The copy of this data could not be produced; contact us and we will provide it.',
    truncated: 'This system holds more than this copy shows; contact us for the rest.',
    objects: 'Files',
    objectKey: 'Name',
    size: 'Size (bytes)',
    modified: 'Last changed',
    contentType: 'Type',
    metadata: 'Metadata',
    contentNotIncluded: 'its content is not in this copy; contact us for it',
    nothingHeld: 'We hold no personal data about you.',
  },
  sv: {
    title: 'Dina personuppgifter',
    intro: (controller) =>
      `Det här är en kopia av de personuppgifter som ${controller} behandlar om dig, med ändamål och lagringstid, enligt din rätt till tillgång i artikel 15 i dataskyddsförordningen.`,
    request: 'Begäran',
    generated: 'Framtagen',
    controller: 'Personuppgiftsansvarig',
    contact: 'Kontakt',
    dpo: 'Dataskyddsombud',
    purpose: 'Ändamål',
    legalBasis: 'Rättslig grund',
    retention: 'Hur länge uppgifterna sparas',
    categories: 'Kategorier av personuppgifter',
    system: 'System',
    item: 'Post',
    field: 'Fält',
    category: 'Kategori',
    value: 'Värde',
    notHeld: '(finns inte)',
    nothingFound: 'Systemet har inga uppgifter om dig för det här ändamålet.',
    notAvailable: 'Kopian av de här uppgifterna kunde inte tas fram; kontakta oss så skickar vi den.',
    truncated: 'Systemet har fler uppgifter än den här kopian visar; kontakta oss för resten.',
    objects: 'Filer',
    objectKey: 'Namn',
    size: 'Storlek (byte)',
    modified: 'Senast ändrad',
    contentType: 'Typ',
    metadata: 'Metadata',
    contentNotIncluded: 'innehållet finns inte i den här kopian; kontakta oss för det',
    nothingHeld: 'Vi behandlar inga personuppgifter om dig.',
  },
};

const recordKey = (system: string, ref: string | undefined): string => JSON.stringify([system, ref ?? null]);

/** The export document of one access request. Throws InputError for a language, system or purpose it does not know. */
export function buildExportDocument(input: ExportDocumentInput): ExportDocument {
  const { policy, lang } = input;
  if (!(EXPORT_LANGS as readonly string[]).includes(lang)) {
    throw new InputError(`expected the export's language to be one of ${EXPORT_LANGS.join(', ')}; got "${String(lang)}"`, { path: 'lang' });
  }
  const byRecord = new Map<string, ConnectorExport>();
  for (const e of input.exports) byRecord.set(recordKey(e.system, e.ref), e.export);
  input.access.forEach((entry, i) => {
    if (!policy.systems[entry.system]) throw new InputError(`unknown system "${entry.system}"`, { path: `access[${i}].system` });
    entry.purposes.forEach((p, j) => {
      if (!policy.purposes[p]) throw new InputError(`unknown purpose "${p}"`, { path: `access[${i}].purposes[${j}]` });
    });
  });
  const registerTexts = REGISTER_TEXTS[lang];
  // Purposes in the policy's order, each with the records held for it.
  const purposes = Object.values(policy.purposes)
    .filter((p) => input.access.some((entry) => entry.purposes.includes(p.id)))
    .map((p): ExportDocumentPurpose => {
      const categories = new Set(p.categories);
      const records = input.access
        .filter((entry) => entry.purposes.includes(p.id))
        .map((entry): ExportDocumentRecord => {
          const system = policy.systems[entry.system];
          const listed = new Set(entry.fields);
          const fields = system.fields
            .filter((f) => listed.has(f.name) && categories.has(f.category))
            .map((f) => ({ name: f.name, category: f.category }));
          const names = new Set(fields.map((f) => f.name));
          const copy = byRecord.get(recordKey(entry.system, entry.ref));
          const base = {
            system: entry.system,
            ...(system.description ? { systemDescription: system.description } : {}),
            ...(entry.ref === undefined ? {} : { ref: entry.ref }),
            fields,
          };
          if (!copy) return { ...base, available: false };
          return {
            ...base,
            records: copy.records.map((r) => ({
              source: r.source,
              values: Object.fromEntries(Object.entries(r.fields).filter(([name]) => names.has(name))),
            })),
            ...(copy.objects && copy.objects.length > 0 ? { objects: copy.objects } : {}),
            ...(copy.truncated ? { truncated: true as const } : {}),
            available: true,
          };
        });
      return {
        purpose: p.id,
        ...(p.description ? { description: p.description } : {}),
        legalBases: p.legalBases.map((basis) => ({ basis, text: registerTexts.legalBases[basis] })),
        ...(p.law ? { law: p.law } : {}),
        retention: describeTimeLimit(p.retention, p.per, { lang, eventDescriptions: policy.eventDescriptions }),
        categories: p.categories.map((c) => ({
          category: c,
          ...(policy.categories[c]?.description ? { description: policy.categories[c].description } : {}),
        })),
        records,
      };
    });
  const { name, id, contact, dpo } = policy.controller;
  return {
    format: EXPORT_FORMAT,
    requestId: input.requestId,
    lang,
    controller: { name, ...(id ? { id } : {}), contact, ...(dpo ? { dpo } : {}) },
    generatedAt: input.generatedAt.toZonedDateTimeISO(policy.timezone).toString({ timeZoneName: 'never', smallestUnit: 'second' }),
    purposes,
  };
}

/** `&`, `<`, `>`, `"` and `'` as entities: text safe in an element and in a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A value as text: a string as it is, anything else as JSON. */
function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The page's only style: inline, so that the page needs nothing from elsewhere. */
const STYLE = `body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.value{white-space:pre-wrap;word-break:break-word}section{margin-bottom:2rem}.note{color:#555;font-style:italic}dt{font-weight:600}`;

/** The document as one self-contained HTML page in its language; every value escaped. */
export function renderExportHtml(document: ExportDocument): string {
  const t = EXPORT_TEXTS[document.lang];
  const e = escapeHtml;
  const out: string[] = [];
  const c = document.controller;
  out.push(
    '<!DOCTYPE html>',
    `<html lang="${e(document.lang)}">`,
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${e(t.title)}: ${e(c.name)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${e(t.title)}</h1>`,
    `<p>${e(t.intro(c.name))}</p>`,
    '<dl>',
    `<dt>${e(t.controller)}</dt><dd>${e(c.name)}${c.id ? ` (${e(c.id)})` : ''}</dd>`,
    `<dt>${e(t.contact)}</dt><dd>${e(c.contact)}</dd>`,
    ...(c.dpo ? [`<dt>${e(t.dpo)}</dt><dd>${c.dpo.name ? `${e(c.dpo.name)}, ` : ''}${e(c.dpo.contact)}</dd>`] : []),
    `<dt>${e(t.request)}</dt><dd>${e(document.requestId)}</dd>`,
    `<dt>${e(t.generated)}</dt><dd>${e(document.generatedAt)}</dd>`,
    '</dl>',
  );
  if (document.purposes.length === 0) out.push(`<p>${e(t.nothingHeld)}</p>`);
  for (const p of document.purposes) {
    out.push('<section>', `<h2>${e(t.purpose)}: ${e(p.description ?? p.purpose)}</h2>`, '<dl>');
    out.push(`<dt>${e(t.legalBasis)}</dt><dd>${p.legalBases.map((b) => e(b.text)).join('; ')}${p.law ? `: ${e(p.law)}` : ''}</dd>`);
    out.push(`<dt>${e(t.retention)}</dt><dd>${e(p.retention)}</dd>`);
    out.push(`<dt>${e(t.categories)}</dt><dd>${p.categories.map((k) => e(k.description ?? k.category)).join(', ')}</dd>`, '</dl>');
    for (const r of p.records) {
      out.push(`<h3>${e(t.system)}: ${e(r.systemDescription ?? r.system)}${r.ref === undefined ? '' : `, ${e(t.item)} ${e(r.ref)}`}</h3>`);
      if (!r.available) {
        out.push(`<p class="note">${e(t.notAvailable)}</p>`);
        continue;
      }
      const records = r.records ?? [];
      if (records.length === 0 && (r.objects ?? []).length === 0) out.push(`<p class="note">${e(t.nothingFound)}</p>`);
      for (const record of records) {
        out.push(`<p>${e(record.source)}</p>`, '<table>');
        out.push(`<tr><th>${e(t.field)}</th><th>${e(t.category)}</th><th>${e(t.value)}</th></tr>`);
        for (const f of r.fields) {
          const held = Object.hasOwn(record.values, f.name);
          out.push(
            `<tr><td>${e(f.name)}</td><td>${e(f.category)}</td><td class="value">${held ? e(valueText(record.values[f.name])) : e(t.notHeld)}</td></tr>`,
          );
        }
        out.push('</table>');
      }
      if (r.objects && r.objects.length > 0) {
        out.push(`<h4>${e(t.objects)}</h4>`, '<table>');
        out.push(
          `<tr><th>${e(t.objectKey)}</th><th>${e(t.size)}</th><th>${e(t.modified)}</th><th>${e(t.contentType)}</th><th>${e(t.metadata)}</th></tr>`,
        );
        for (const o of r.objects) {
          const meta = Object.entries(o.metadata ?? {})
            .map(([k, v]) => `${e(k)}: ${e(v)}`)
            .join('<br>');
          out.push(
            `<tr><td class="value">${e(o.key)}${o.contentIncluded ? '' : ` <span class="note">(${e(t.contentNotIncluded)})</span>`}</td><td>${o.size ?? ''}</td><td>${e(o.lastModified ?? '')}</td><td>${e(o.contentType ?? '')}</td><td class="value">${meta}</td></tr>`,
          );
        }
        out.push('</table>');
      }
      if (r.truncated) out.push(`<p class="note">${e(t.truncated)}</p>`);
    }
    out.push('</section>');
  }
  out.push('</body>', '</html>', '');
  return out.join('\n');
}
