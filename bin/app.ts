#!/usr/bin/env node
/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`): the Lethe stack for the policy named by the `policy` context.
 * Bad input (an invalid policy, a region the policy does not allow) is printed as a clear message and exits 1,
 * never a stack trace. A failed synthesis leaves no template behind.
 */
import { App } from 'aws-cdk-lib';
import { LetheError } from '../lib/core/errors';
import { applyFeatureFlags, buildLetheApp, synthesizeOrDiscard } from '../lib/stack/app';

function main(): number {
  // autoSynth off: otherwise the App, run by the CDK CLI, synthesizes whatever was built when the process exits,
  // also after a refusal, and writes a template holding only CDKMetadata over the good one.
  const app = applyFeatureFlags(new App({ autoSynth: false }));
  try {
    // A failed synthesis leaves no template in the output directory (see synthesizeOrDiscard).
    synthesizeOrDiscard(app, () => buildLetheApp(app));
  } catch (error) {
    if (error instanceof LetheError) {
      process.stderr.write(`lethe: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  return 0;
}

process.exitCode = main();
