/**
 * Audit entries for tests that need a chain of records whose content does not matter: sweep `n` of a crm record,
 * ids and HMACs only, as the functions write them.
 */
import type { AuditEntry } from '../../lib/audit';

export const sweepEntry = (n: number): AuditEntry => ({
  at: `2025-03-01T10:00:${String(n).padStart(2, '0')}+01:00`,
  kind: 'sweep',
  sweepId: 'sweep-1',
  purposes: ['customer'],
  system: 'crm',
  action: 'delete',
  outcome: 'erased',
  counts: { records: 1, fields: 0, objects: n },
  subject: 'f'.repeat(64),
  policyHash: 'a'.repeat(64),
});
