/**
 * cdk.json names every CDK feature flag whose default differs from CDK's recommendation, set to its default: `cdk
 * synth` no longer prints "83 feature flags are not configured", and the template is the one the flags' defaults
 * give (the recommended values would change 25 of its 180 resources and fail cdk-nag; see the report of issue 20).
 * Lethe's own choices stay in FEATURE_FLAGS (lib/stack/app.ts), which the tests' apps apply too.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FLAGS } from 'aws-cdk-lib/cx-api';
import { FEATURE_FLAGS } from '../../../lib/stack/app';

const ROOT = path.join(__dirname, '..', '..', '..');
const context = (JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

/** What a flag does when no one sets it, as the CDK CLI reads it (`unconfiguredBehavesLike.v2`, else false). */
const defaultOf = (name: string): unknown => FLAGS[name].unconfiguredBehavesLike?.v2 ?? false;
/** The flags the CLI counts as "not configured": unset, and their default is not the recommended value. */
const needingAttention = (configured: Readonly<Record<string, unknown>>) =>
  Object.keys(FLAGS).filter(
    (name) => !(name in configured) && JSON.stringify(defaultOf(name)) !== JSON.stringify(FLAGS[name].recommendedValue),
  );

test('GIVEN cdk.json and FEATURE_FLAGS WHEN the CDK CLI looks for unconfigured flags THEN it finds none', () => {
  expect(needingAttention({ ...context, ...FEATURE_FLAGS })).toEqual([]);
});

test('GIVEN the flags cdk.json sets WHEN compared with their defaults THEN each is its default (the template does not change), Lethe’s own aside', () => {
  const pinned = Object.keys(context).filter((name) => name in FLAGS && !(name in FEATURE_FLAGS));
  expect(pinned.length).toBeGreaterThan(50);
  expect(pinned.filter((name) => JSON.stringify(context[name]) !== JSON.stringify(defaultOf(name)))).toEqual([]);
});
