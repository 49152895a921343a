/**
 * The architecture diagram is generated from the app: docs/architecture.md must hold exactly what
 * `npm run diagram` generates now, and the generator must draw what the template says.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadPolicyFile } from '../../../lib/policy/load';
import { DIAGRAM_END, DIAGRAM_START, generateDiagram, withDiagram } from '../../../lib/stack/diagram';
import { ROOT } from './synth';

jest.setTimeout(120_000);

let diagram: string;
beforeAll(() => {
  diagram = generateDiagram({ cwd: ROOT });
});

describe('architecture diagram', () => {
  it('is up to date in docs/architecture.md (run `npm run diagram` after changing the stack)', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
    expect(doc).toContain(DIAGRAM_START);
    expect(doc).toContain(DIAGRAM_END);
    expect(withDiagram(doc, diagram)).toBe(doc);
  });

  it.each([
    // [from, to]: what the template references, as the reader of docs/architecture.md is told
    ['Erasure_Workflow', 'Functions_ErasurePlan'],
    ['Sweep_Workflow', 'Functions_SweepApply'],
    ['Api_Api', 'Functions_Api'],
    ['Functions_Api', 'Erasure_Workflow'],
    ['Functions_SweepRead', 'Ledger_Purposes'],
    ['Functions_ErasureSystem', 'Connectors_Systems'],
    ['Functions_SweepApply', 'Audit_Bucket'],
    ['Functions_ErasureFinish', 'Audit_Bucket'],
    ['Schedules_Sweeps', 'Sweep_Workflow'],
    ['SubjectEvents_ToSubjectEvents', 'Functions_SubjectEvents'],
    // the lift of a restriction and the release of a hold unrestrict the records in the request (restrictions.ts)
    ['Functions_Api', 'Connectors_Systems'],
  ])('draws %s --> %s', (from, to) => {
    expect(diagram.split('\n')).toContain(`  ${from} --> ${to}`);
  });

  it.each([
    // least privilege shows in the drawing too: these references do not exist
    ['Functions_SweepRead', 'Connectors_Systems'],
    ['Functions_DeadlineMonitor', 'Ledger_Purposes'],
    ['Functions_DeadlineMonitor', 'Connectors_Systems'],
    ['Functions_ErasureSystem', 'Audit_Bucket'],
  ])('does not draw %s --> %s', (from, to) => {
    expect(diagram.split('\n')).not.toContain(`  ${from} --> ${to}`);
  });

  it('draws each per-purpose and per-system group as one node with its count', () => {
    // GIVEN the app's default policy, whose purposes and systems the diagram counts
    const { policy } = loadPolicyFile(path.join(ROOT, 'examples', 'dh-solutions.yaml'));
    const purposes = Object.keys(policy.purposes).length;
    const systems = Object.keys(policy.systems).length;
    expect(diagram).toContain(`Ledger_Purposes["ledger tables, one per purpose (${purposes})`);
    expect(diagram).toContain(`Connectors_Systems["connector functions, one per system (${systems})`);
    expect(diagram).toContain(`Schedules_Sweeps["daily sweep schedules, one per purpose (${purposes})`);
  });

  it('refuses a document without the markers', () => {
    expect(() => withDiagram('# no markers', diagram)).toThrow(/expected the markers/);
  });
});
