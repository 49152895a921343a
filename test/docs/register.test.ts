/**
 * docs/register.md's account of the policy's hash, checked against what `lethe register` prints (issue 20, item 7):
 * a DPO who compares it with `sha256sum` must have been told it differs, and why.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { run } from '../../lib/cli/main';
import { tempDir } from '../support/temp-dir';

const ROOT = join(__dirname, '..', '..');
const page = readFileSync(join(ROOT, 'docs', 'register.md'), 'utf8').replace(/\s+/g, ' ');
const dir = tempDir('lethe-register-doc-');

function policyHash(file: string): string {
  let stdout = '';
  const code = run(['register', '--policy', file, '--format', 'json', '--date', '2026-12-04'], {
    stdout: (t) => (stdout += t),
    stderr: () => undefined,
  });
  expect(code).toBe(0);
  return (JSON.parse(stdout) as { policyHash: string }).policyHash;
}

describe("docs/register.md: the policy's hash", () => {
  const yamlFile = join(ROOT, 'examples', 'dh-solutions.yaml');
  const text = readFileSync(yamlFile, 'utf8');

  it('is, as the page says, not the SHA-256 of the file bytes', () => {
    expect(page).toContain("not the SHA-256 of the file's bytes");
    expect(policyHash(yamlFile)).toMatch(/^[0-9a-f]{64}$/);
    expect(policyHash(yamlFile)).not.toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('is, as the page says, the same for the policy without comments, as JSON', () => {
    expect(page).toContain('comments, formatting, key order and YAML or JSON do not change it');
    const json = join(dir, 'dh-solutions.json');
    writeFileSync(json, JSON.stringify(parse(text) as unknown));
    expect(policyHash(json)).toBe(policyHash(yamlFile));
  });

  it('changes, as the page says, with what the policy says', () => {
    const edited = join(dir, 'edited.yaml');
    writeFileSync(edited, text.replace('name: DH Solutions AB', 'name: DH Solutions Aktiebolag'));
    expect(readFileSync(edited, 'utf8')).not.toBe(text);
    expect(policyHash(edited)).not.toBe(policyHash(yamlFile));
  });
});
