/**
 * The one lookup of the state machine an execution starts on (`machineFor`), which the API's
 * `POST /executions` and the CLI's workflow commands share: `onFailure: keep` runs a provisioning on
 * `provision-keep` (docs/workflows.md); every other input runs on its workflow's own machine.
 */
import { describe, expect, it } from 'vitest';
import {
  MACHINES,
  machineFor,
  machinesOf,
  WORKFLOWS,
  workflowOfMachine,
} from '../../src/workflow/workflows.ts';

describe('Function: machineFor', () => {
  it.each([
    { workflow: 'provision', input: { name: 'p' }, machine: 'provision' },
    { workflow: 'provision', input: { name: 'p', onFailure: 'rollback' }, machine: 'provision' },
    { workflow: 'provision', input: { name: 'p', onFailure: 'keep' }, machine: 'provision-keep' },
    { workflow: 'provision', input: 'name: p\nonFailure: keep', machine: 'provision' },
    { workflow: 'provision', input: null, machine: 'provision' },
    { workflow: 'verify', input: { plan: 'p' }, machine: 'verify' },
    { workflow: 'teardown', input: { plan: 'p', onFailure: 'keep' }, machine: 'teardown' },
  ] as const)('runs $workflow with $input on $machine', ({ workflow, input, machine }) => {
    expect(machineFor(workflow, input)).toBe(machine);
  });
});

describe('Function: machinesOf', () => {
  it('lists both provision machines for provision, every machine for no workflow', () => {
    expect(machinesOf('provision')).toEqual(['provision', 'provision-keep']);
    expect(machinesOf('verify')).toEqual(['verify']);
    expect(machinesOf(undefined)).toEqual([...MACHINES]);
  });

  it('is the inverse of workflowOfMachine', () => {
    for (const workflow of WORKFLOWS) {
      for (const machine of machinesOf(workflow)) expect(workflowOfMachine(machine)).toBe(workflow);
    }
  });
});
