#!/usr/bin/env node
/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`): the Lethe stack for the policy named by the `policy` context.
 * Bad input (an invalid policy, a region the policy does not allow) is printed as a clear message and exits 1,
 * never a stack trace.
 */
import { App } from 'aws-cdk-lib';
import { LetheError } from '../lib/errors';
import { applyFeatureFlags, buildLetheApp } from '../lib/stack/app';

function main(): number {
  const app = applyFeatureFlags(new App());
  try {
    buildLetheApp(app);
  } catch (error) {
    if (error instanceof LetheError) {
      process.stderr.write(`lethe: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  app.synth();
  return 0;
}

process.exitCode = main();
