/**
 * plan.property.test.ts with every run of every property: the integration lane runs this file (jest.config.js), the
 * unit lane a fifth of the runs (test/support/property-runs.ts).
 */
import './plan.property.test';
