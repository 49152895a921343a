/**
 * The access export document (spec 2.4, Art. 15): built from a real plan of examples/dh-solutions.yaml and the
 * connectors' exports; per purpose the legal basis, the time limit in words and the values; HTML in English and
 * Swedish, self-contained, every value escaped.
 */
import { Temporal } from '@js-temporal/polyfill';
import { InputError } from '../../../lib/core/errors';
import { plan } from '../../../lib/planner/plan';
import { loadPolicyFile } from '../../../lib/policy/load';
import {
  buildExportDocument,
  escapeHtml,
  EXPORT_FORMAT,
  renderExportHtml,
  type ExportLang,
  type RecordExport,
} from '../../../lib/runtime/export-document';

const policy = loadPolicyFile('examples/dh-solutions.yaml').policy;
const at = (iso: string) => Temporal.Instant.from(iso);
const NOW = at('2026-02-01T11:00:00Z');

/** A customer with a CRM record and one invoice (an item record), asking for access. */
const accessPlan = plan(
  policy,
  {
    subjectId: 'customer-4711',
    holdings: [
      { purpose: 'customer-relationship', system: 'crm', collectedAt: at('2025-03-01T09:00:00Z') },
      { purpose: 'bookkeeping', system: 'accounting', collectedAt: at('2025-03-01T09:00:00Z'), ref: 'INV-1001' },
    ],
    events: [],
  },
  NOW,
  { type: 'access', receivedAt: at('2026-01-28T08:00:00Z') },
);
const access = accessPlan.access!;

const EXPORTS: RecordExport[] = [
  {
    system: 'crm',
    export: {
      records: [
        {
          source: 'table dh-solutions-customers, customerId C-4711',
          fields: { contactName: 'Astrid <script>alert(1)</script>', email: 'astrid@example.se', phone: '+46 70 123 45 67' },
        },
      ],
    },
  },
  {
    system: 'accounting',
    ref: 'INV-1001',
    export: {
      records: [
        { source: 'invoice INV-1001', fields: { invoiceEmail: 'faktura@example.se', invoices: [{ no: 'INV-1001', total: 1250 }] } },
      ],
    },
  },
];

const build = (lang: ExportLang = 'en', exports: readonly RecordExport[] = EXPORTS) =>
  buildExportDocument({ policy, requestId: 'req-42', generatedAt: NOW, lang, access, exports });

describe('buildExportDocument', () => {
  test('one document: request, controller, time in the policy zone, and per purpose basis, time limit in words and values', () => {
    const document = build();
    expect(document).toMatchObject({
      format: EXPORT_FORMAT,
      requestId: 'req-42',
      lang: 'en',
      controller: { name: policy.controller.name, contact: policy.controller.contact },
      generatedAt: '2026-02-01T12:00:00+01:00',
    });
    expect(document.purposes.map((p) => p.purpose)).toEqual(['customer-relationship', 'bookkeeping']);
    const [relationship, bookkeeping] = document.purposes;
    expect(relationship.legalBases).toEqual([{ basis: 'contract', text: 'Performance of a contract, Art. 6(1)(b)' }]);
    expect(relationship.retention).toMatch(/^6 months after /);
    // THEN the CRM record shows the fields of this purpose's categories (identity, contact), with their values
    expect(relationship.records).toEqual([
      {
        system: 'crm',
        systemDescription: policy.systems.crm.description,
        fields: [
          { name: 'contactName', category: 'identity' },
          { name: 'email', category: 'contact' },
          { name: 'phone', category: 'contact' },
          { name: 'postalAddress', category: 'contact' },
        ],
        records: [
          {
            source: 'table dh-solutions-customers, customerId C-4711',
            values: { contactName: 'Astrid <script>alert(1)</script>', email: 'astrid@example.se', phone: '+46 70 123 45 67' },
          },
        ],
        available: true,
      },
    ]);
    // AND the invoice, an item record, under bookkeeping with its law and its own fields
    expect(bookkeeping).toMatchObject({
      law: 'Bokföringslagen (1999:1078) 7 kap. 2 §',
      records: [{ system: 'accounting', ref: 'INV-1001' }],
    });
    expect(bookkeeping.records[0].records?.[0].values).toEqual({
      invoiceEmail: 'faktura@example.se',
      invoices: [{ no: 'INV-1001', total: 1250 }],
    });
  });

  test('a record without an export is stated as not available, never left out', () => {
    const document = build('en', EXPORTS.slice(1));
    expect(document.purposes[0].records[0]).toMatchObject({ system: 'crm', available: false });
    expect(document.purposes[0].records[0].records).toBeUndefined();
  });

  test('an export of another item (INV-10 for INV-1) is not taken for this one', () => {
    const document = build('en', [EXPORTS[0], { ...EXPORTS[1], ref: 'INV-10010' }]);
    expect(document.purposes[1].records[0]).toMatchObject({ ref: 'INV-1001', available: false });
  });

  test('a value the connector sent for a field of another purpose does not appear under this one', () => {
    const crm: RecordExport = { system: 'crm', export: { records: [{ source: 's', fields: { companyName: 'DH AB', email: 'a@b.se' } }] } };
    const document = build('en', [crm, EXPORTS[1]]);
    expect(document.purposes[0].records[0].records?.[0].values).toEqual({ email: 'a@b.se' });
  });

  test('Swedish: the legal basis and the time limit in Swedish', () => {
    const document = build('sv');
    expect(document.purposes[0].legalBases[0].text).toBe('Avtal, art. 6.1 b');
    expect(document.purposes[0].retention).toMatch(/^6 månader efter /);
  });

  test.each([
    [{ lang: 'de' }, /expected the export's language to be one of en, sv; got "de"/],
    [{ access: [{ system: 'nowhere', purposes: [], categories: [], fields: [] }] }, /access\[0\]\.system: unknown system "nowhere"/],
  ])('bad input %j is an InputError naming it', (override, message) => {
    const run = () =>
      buildExportDocument({ policy, requestId: 'r', generatedAt: NOW, lang: 'en', access, exports: [], ...(override as object) });
    expect(run).toThrow(InputError);
    expect(run).toThrow(message);
  });
});

describe('renderExportHtml', () => {
  test('a <script> in a value comes out inert: escaped, and the page has no script element', () => {
    const html = renderExportHtml(build());
    expect(html).toContain('Astrid &#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('alert(1)</script>');
  });

  test('self-contained: no external resource, a CSP that forbids every other source, the language set', () => {
    const html = renderExportHtml(build('sv'));
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="sv">')).toBe(true);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(html).not.toMatch(/\b(src|href)=|url\(|@import/i);
    expect(html).toContain('<h1>Dina personuppgifter</h1>');
    expect(html).toContain('Rättslig grund');
  });

  test('English page: each field with its value, a missing one as not held, the item named', () => {
    const html = renderExportHtml(build('en'));
    expect(html).toContain('<td>email</td><td>contact</td><td class="value">astrid@example.se</td>');
    expect(html).toContain('<td>postalAddress</td><td>contact</td><td class="value">(not held)</td>');
    expect(html).toContain('Item INV-1001');
    expect(html).toContain('[{&#34;no&#34;:&#34;INV-1001&#34;,&#34;total&#34;:1250}]');
  });

  test('objects listed with a note where their content is not included; truncation stated', () => {
    const files: RecordExport = {
      system: 'crm',
      export: {
        records: [],
        objects: [
          {
            key: 'id/<img src=x onerror=alert(1)>.jpg',
            size: 10,
            contentType: 'image/jpeg',
            contentIncluded: false,
            metadata: { by: '"me"' },
          },
        ],
        truncated: true,
      },
    };
    const html = renderExportHtml(build('en', [files, EXPORTS[1]]));
    expect(html).toContain('id/&#60;img src=x onerror=alert(1)&#62;.jpg <span class="note">(its content is not in this copy');
    expect(html).toContain('by: &#34;me&#34;');
    expect(html).toContain('This system holds more than this copy shows');
    expect(html).not.toMatch(/<img/i);
  });
});

test.each([
  ['<>&"\'', '&#60;&#62;&#38;&#34;&#39;'],
  ['plain', 'plain'],
])('escapeHtml(%j) is %j', (text, expected) => {
  expect(escapeHtml(text)).toBe(expected);
});
