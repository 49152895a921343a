export { API_ROUTES, isAuthorized, matchRoute, toProxyEvent } from './api-gateway';
export { functionNameOf, secretNameOf } from './aws-endpoint';
export { DEMO_SUBJECTS, type DemoSubject, personalValuesOf, type SeedReport } from './demo';
export { LocalModeError } from './errors';
export { connectorFunctionName, runtimeFunctionName } from './function-specs';
export { type FunctionStats, type InvokeResult } from './functions';
export { findJava, MIN_JAVA_VERSION, parseJavaVersion } from './java';
export { LocalMode, type LocalService, type LocalStage, LocalStep, stopOnSignals } from './local-mode';
export { type FailOptions, type LocalReceiver, type ReceivedCall } from './receiver';
export { billingOf, type ExecutionBilling, UsageMeter, type UsageSnapshot } from './meter';
export { localNames, type LocalNames } from './resources';
export { type ExecutionHistoryEvent, type ExecutionStatus, type ExecutionView } from './step-functions';
export { type StreamPollReport } from './streams';
export {
  type ApiAnswer,
  DEFAULT_DATA_DIR,
  DEFAULT_POLICY_FILE,
  DEFAULT_PORT,
  DEFAULT_SWEEP_EVERY_MS,
  type FunctionLogEntry,
  type LocalLethe,
  type LocalOptions,
  type RequestViewBody,
  startLocal,
  type SweepResult,
} from './start';
