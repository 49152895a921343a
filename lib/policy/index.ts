/**
 * The policy package: reading, validating and modelling a policy document. Modules inside Lethe import the file they
 * need (`../policy/load`); this index is the package's public face.
 */
export { PolicyValidationError } from './errors';
export { type LoadedPolicy, loadPolicyData, loadPolicyFile, loadPolicyText, type LoadOptions } from './load';
export type { Policy, PurposeSpec, SystemSpec } from './model';
