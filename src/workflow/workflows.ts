/** natflow's three workflows, one state machine each (DESIGN §8): the one list every layer uses. */
export const WORKFLOWS = ['provision', 'verify', 'teardown'] as const;
export type Workflow = (typeof WORKFLOWS)[number];
