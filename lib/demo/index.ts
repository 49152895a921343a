export { ApiClient, type ApiErrorBody, describeAnswer } from './api-client';
export { DemoError } from './errors';
export {
  DEMO_ERASED,
  DEMO_EXPIRING,
  type DemoOptions,
  type DemoReport,
  type DemoStep,
  describeChange,
  itemsReadBySweep,
  runDemo,
  runScenario,
} from './scenario';
export { putSubjectData, readSubjectData, type SubjectData, type SystemData } from './systems';
