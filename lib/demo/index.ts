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
export {
  chooseHold,
  chooseRestriction,
  DEMO_HOLD_REASON,
  DEMO_RIGHTS,
  exportedFields,
  exportProblems,
  markOf,
  planRights,
  type RightsPlan,
  type RightsReport,
  waitsForRequestHandled,
} from './rights';
export {
  itemLocatable,
  itemLocator,
  itemSubject,
  putSubjectData,
  readRestrictionMarks,
  readSubjectData,
  type RestrictionMark,
  type SubjectData,
  type SystemData,
  withoutMarks,
} from './systems';
