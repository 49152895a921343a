/** console/pages/register.tsx: the Art. 30 register, built by lib/register from an example policy, as tables. */
import * as path from 'node:path';
import { h } from 'preact';
import { RegisterView } from '../../../console/pages/register';
import { loadPolicyFile } from '../../../lib/policy';
import { buildRegister } from '../../../lib/register/register';
import { renderIn, textOf } from '../render';

const loaded = loadPolicyFile(path.join(__dirname, '../../../examples/dh-solutions.yaml'));

describe('RegisterView', () => {
  it.each(['en', 'sv'] as const)('GIVEN the register in %s THEN every activity is a section with its Art. 30 items', (lang) => {
    const register = buildRegister(loaded.policy, loaded.hash, { lang, date: '2026-12-04' });
    const html = renderIn(lang, h(RegisterView, { register }));
    const text = textOf(html);
    expect(register.activities.length).toBeGreaterThan(1);
    for (const [i, a] of register.activities.entries()) {
      expect(html).toContain(`<section class="activity" id="activity-${a.purpose}" tabindex="-1"`);
      expect(text).toContain(`${i + 1}. ${a.title}`);
      expect(text).toContain(a.retention);
      expect(text).toContain(a.legalBasis);
    }
    expect(text).toContain(register.controller.name);
    expect(text).toContain(register.policyHash);
    // The summary table: a row per activity and its header.
    const summary = /<caption class="visually-hidden">(?:Summary|Översikt)<\/caption>.*?<\/table>/.exec(html)![0];
    expect(summary.match(/<tr>/g)).toHaveLength(register.activities.length + 1);
  });

  it('GIVEN Swedish THEN the headings are Swedish', () => {
    const register = buildRegister(loaded.policy, loaded.hash, { lang: 'sv' });
    const text = textOf(renderIn('sv', h(RegisterView, { register })));
    expect(text).toContain('Personuppgiftsansvarig');
    expect(text).toContain('Tidsfrist för radering');
    expect(text).toContain('Skriv ut eller spara som PDF');
  });

  it('GIVEN the view THEN the print button is a real button outside what is printed', () => {
    const register = buildRegister(loaded.policy, loaded.hash);
    expect(renderIn('en', h(RegisterView, { register }))).toMatch(
      /^<p class="no-print"><button type="button">Print or save as PDF<\/button><\/p>/,
    );
  });
});
