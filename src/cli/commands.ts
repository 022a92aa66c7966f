/**
 * The commands of `natflow`, one line each: the name, what `natflow --help` says of it, and how to load
 * it. A command is one file under `commands/`, loaded only when it runs (or prints its usage), so `natflow
 * --help` or a mistyped command loads none of them (docs/cli.md "Start-up"). A new command is its file
 * plus its line here.
 */
import type { Command } from './io.ts';

export interface CommandEntry {
  /** One line for `natflow --help`. */
  summary: string;
  load(): Promise<{ default: Command }>;
}

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  evaluate: {
    summary: "evaluate packets through a gateway's DNAT rules (verdict and translation per packet)",
    load: () => import('./commands/evaluate.ts'),
  },
  executions: {
    summary: 'list executions, show one, print its history or watch it live',
    load: () => import('./commands/executions.ts'),
  },
  freeze: {
    summary: 'freeze a private NAT gateway or a rule (its rules then evaluate as RULE_INACTIVE)',
    load: () => import('./commands/freeze.ts'),
  },
  import: {
    summary: "read a real cloud's resources into natflow's model (read-only)",
    load: () => import('./commands/import.ts'),
  },
  plan: {
    summary: 'preview a plan: actions, conflicts and the paths it opens or closes',
    load: () => import('./commands/plan.ts'),
  },
  plans: {
    summary: 'list the provisioned plans: cloud, resources, last execution and verification',
    load: () => import('./commands/plans.ts'),
  },
  probe: {
    summary: 'probe connectivity from a server to an address or transit IP (analysis and live)',
    load: () => import('./commands/probe.ts'),
  },
  provision: {
    summary: 'provision a plan through the provision workflow',
    load: () => import('./commands/provision.ts'),
  },
  resources: {
    summary: "list the virtual cloud's resources",
    load: () => import('./commands/resources.ts'),
  },
  teardown: {
    summary: "delete a plan's resources through the teardown workflow",
    load: () => import('./commands/teardown.ts'),
  },
  unfreeze: {
    summary: 'unfreeze a frozen private NAT gateway or rule',
    load: () => import('./commands/unfreeze.ts'),
  },
  up: {
    summary: 'start the local stack (and provision a plan)',
    load: () => import('./commands/up.ts'),
  },
  validate: {
    summary: 'check a plan file: shape, names and a dry run of every rule',
    load: () => import('./commands/validate.ts'),
  },
  verify: {
    summary: "probe a plan's verify entries (or every plan's) through the verify workflow",
    load: () => import('./commands/verify.ts'),
  },
};

/** The command names, sorted. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS).sort();
