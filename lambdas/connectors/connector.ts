/**
 * The generic connector function: one per system, of any registered connector type without an entry of its own
 * (LETHE_CONNECTOR_TYPE, LETHE_SYSTEM, LETHE_CONNECTOR_CONFIG). See lib/connectors/descriptor.ts.
 */
import { createConnectorHandler } from '../../lib/connectors/handler';

export const handler = createConnectorHandler();
