/**
 * The plan document (docs/plan-format.md): what a user writes to ask for cross-VPC access, as a zod schema.
 *
 * Every object is `.strict()`: an unknown field is an error, since a misspelt `transitport` silently
 * ignored would provision something other than what was asked. Every section is optional (a plan may
 * only add a rule to resources that already exist). Entries of vpcs, subnets, servers, load balancers,
 * transit IPs and gateways are either created (`{name, cidr, …}`) or reference what exists
 * (`{name, existing: ID}`); an existing VPC may still list new subnets and an existing gateway new rules.
 *
 * Shape errors carry the most specific code of the rules table: a value that is no CIDR is `INVALID_CIDR`, no
 * address `INVALID_ADDRESS`, a bad port `INVALID_PORT_SPEC`, anything else `VALIDATION_FAILED`
 * (`planIssuesFromZod`). Cross-entry rules (names, references, addresses, DNAT constraints) are not
 * shape: `validate.ts` checks them with a dry run of the control plane.
 */
import { type ZodError, z } from 'zod';
import { type ErrorCode, type Issue, MalformedPlanError } from '../cloud/errors.ts';
import { codeOfIssue, formatPath } from '../cloud/issues.ts';
import {
  APP_PROTOCOLS,
  GATEWAY_SPECS,
  LB_ALGORITHMS,
  LB_PROTOCOLS,
  SG_PROTOCOLS,
} from '../cloud/resources.ts';
import { tryParseCidr, tryParseIpv4 } from '../net/ipv4.ts';
import { isPort } from '../net/ports.ts';
import { CLOUD_NAMES } from '../providers/registry.ts';
import { readPlanText } from './source.ts';

/** The code a custom issue carries in `params.code`, read back by `planIssuesFromZod`. */
type ShapeCode = Extract<
  ErrorCode,
  'INVALID_CIDR' | 'INVALID_ADDRESS' | 'INVALID_PORT_SPEC' | 'VALIDATION_FAILED'
>;

function issueCode(code: ShapeCode) {
  return { params: { code } };
}

/** A plan's name: the scope of its idempotency tokens. */
export const PlanNameSchema = z
  .string()
  .regex(/^[a-z0-9-]{1,64}$/, 'a plan name is 1–64 characters of a-z, 0-9 and -');

/** An entry's name: what other entries of the plan reference it by. */
export const EntryNameSchema = z
  .string()
  .min(1, 'a name cannot be empty')
  .max(64, 'a name is at most 64 characters')
  .regex(/^\S(.*\S)?$/, 'a name cannot start or end with white space');

/** A resource id (or a unique name) of something that already exists. */
const ExistingIdSchema = z.string().min(1, 'existing takes the id of a resource');

/** A CIDR block `a.b.c.d/n`, host bits zero. Anything else present is INVALID_CIDR. */
export const CidrTextSchema = z.unknown().transform((value, ctx) => {
  if (value === undefined) return required(ctx, 'a CIDR block');
  if (typeof value === 'string' && tryParseCidr(value) !== undefined) return value;
  ctx.addIssue({
    code: 'custom',
    message: `${JSON.stringify(value)} is not a CIDR block (a.b.c.d/n, host bits zero)`,
    ...issueCode('INVALID_CIDR'),
  });
  return z.NEVER;
});

/** A dotted-quad IPv4 address. Anything else present is INVALID_ADDRESS. */
export const AddressTextSchema = z.unknown().transform((value, ctx) => {
  if (value === undefined) return required(ctx, 'an IPv4 address');
  if (typeof value === 'string' && tryParseIpv4(value) !== undefined) return value;
  ctx.addIssue({
    code: 'custom',
    message: `${JSON.stringify(value)} is not an IPv4 address (a.b.c.d, each 0–255)`,
    ...issueCode('INVALID_ADDRESS'),
  });
  return z.NEVER;
});

/** A missing required field: VALIDATION_FAILED. */
function required(ctx: z.RefinementCtx, what: string): never {
  ctx.addIssue({ code: 'custom', message: `required (${what})`, ...issueCode('VALIDATION_FAILED') });
  return z.NEVER;
}

/** `auto` (the default: the lowest free address) or an explicit address. */
const AddressOrAutoSchema = z.unknown().transform((value, ctx) => {
  if (value === 'auto') return 'auto' as const;
  if (typeof value === 'string' && tryParseIpv4(value) !== undefined) return value;
  ctx.addIssue({
    code: 'custom',
    message: `${JSON.stringify(value)} is neither 'auto' nor an IPv4 address`,
    ...issueCode('INVALID_ADDRESS'),
  });
  return z.NEVER;
});

function toPort(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^[0-9]{1,5}$/.test(value.trim()) ? Number(value.trim()) : value;
  return isPort(n) ? n : undefined;
}

/** A port 1–65535, as a number or a decimal string. */
export const PortSchema = z.unknown().transform((value, ctx) => {
  if (value === undefined) return required(ctx, 'a port');
  const port = toPort(value);
  if (port !== undefined) return port;
  ctx.addIssue({
    code: 'custom',
    message: `port ${JSON.stringify(value)} is not an integer from 1 to 65535`,
    ...issueCode('INVALID_PORT_SPEC'),
  });
  return z.NEVER;
});

/** A DNAT port: 1–65535 for a specific-port rule, 0 for an all-ports one (checked against portType). */
const DnatPortSchema = z.unknown().transform((value, ctx) => {
  if (value === 0 || value === '0') return 0;
  const port = toPort(value);
  if (port !== undefined) return port;
  ctx.addIssue({
    code: 'custom',
    message: `port ${JSON.stringify(value)} is not an integer from 1 to 65535 (or 0 for all ports)`,
    ...issueCode('INVALID_PORT_SPEC'),
  });
  return z.NEVER;
});

/** `80`, `"80"` or `"8000-8080"` → an inclusive range. */
export const PortRangeSchema = z.unknown().transform((value, ctx) => {
  const single = toPort(value);
  if (single !== undefined) return { from: single, to: single };
  if (typeof value === 'string') {
    const match = /^\s*([0-9]{1,5})\s*-\s*([0-9]{1,5})\s*$/.exec(value);
    const from = match ? toPort(match[1]) : undefined;
    const to = match ? toPort(match[2]) : undefined;
    if (from !== undefined && to !== undefined && from <= to) return { from, to };
  }
  ctx.addIssue({
    code: 'custom',
    message: `ports ${JSON.stringify(value)} is not a port (80) or a range FROM-TO within 1–65535`,
    ...issueCode('INVALID_PORT_SPEC'),
  });
  return z.NEVER;
});

const SubnetCreateSchema = z.strictObject({ name: EntryNameSchema, cidr: CidrTextSchema });
const SubnetExistingSchema = z.strictObject({ name: EntryNameSchema, existing: ExistingIdSchema });
export const SubnetEntrySchema = z.union([SubnetCreateSchema, SubnetExistingSchema]);

const VpcCreateSchema = z.strictObject({
  name: EntryNameSchema,
  cidr: CidrTextSchema,
  subnets: z.array(SubnetEntrySchema).optional(),
});
const VpcExistingSchema = z.strictObject({
  name: EntryNameSchema,
  existing: ExistingIdSchema,
  /** New subnets in the existing VPC (or existing ones, to name them in this plan). */
  subnets: z.array(SubnetEntrySchema).optional(),
});
export const VpcEntrySchema = z.union([VpcCreateSchema, VpcExistingSchema]);

export const AppEntrySchema = z.strictObject({ protocol: z.enum(APP_PROTOCOLS), port: PortSchema });

export const InboundRuleEntrySchema = z.strictObject({
  protocol: z.enum(SG_PROTOCOLS),
  /** Omitted: every port. */
  ports: PortRangeSchema.optional(),
  source: CidrTextSchema,
});

const ServerCreateSchema = z.strictObject({
  name: EntryNameSchema,
  subnet: EntryNameSchema,
  ip: AddressOrAutoSchema.optional(),
  apps: z.array(AppEntrySchema).optional(),
  /** Replaces the default security group rules (each app's port from its own VPC's CIDR). */
  inbound: z.array(InboundRuleEntrySchema).optional(),
  /** A real cloud's image and flavor ids (docs/clouds.md); ignored by the virtual cloud. */
  image: z.string().min(1).optional(),
  flavor: z.string().min(1).optional(),
});
const ServerExistingSchema = z.strictObject({ name: EntryNameSchema, existing: ExistingIdSchema });
export const ServerEntrySchema = z.union([ServerCreateSchema, ServerExistingSchema]);

export const HealthCheckEntrySchema = z.strictObject({
  protocol: z.enum(LB_PROTOCOLS).optional(),
  port: PortSchema.optional(),
  path: z.string().startsWith('/', 'a health check path starts with /').optional(),
  intervalSeconds: z.number().int().min(1).max(300).optional(),
});

export const BackendMemberEntrySchema = z.strictObject({
  server: EntryNameSchema,
  port: PortSchema,
  weight: z.number().int().min(0).max(100).optional(),
});

export const BackendGroupEntrySchema = z.strictObject({
  name: EntryNameSchema,
  protocol: z.enum(LB_PROTOCOLS),
  algorithm: z.enum(LB_ALGORITHMS).optional(),
  healthCheck: HealthCheckEntrySchema.optional(),
  members: z.array(BackendMemberEntrySchema).optional(),
});

const CidrListSchema = z.array(CidrTextSchema).min(1, 'list at least one CIDR block');
export const AccessControlEntrySchema = z.union([
  z.literal('all'),
  z.strictObject({ allow: CidrListSchema }),
  z.strictObject({ deny: CidrListSchema }),
]);

export const ListenerEntrySchema = z.strictObject({
  name: EntryNameSchema.optional(),
  protocol: z.enum(LB_PROTOCOLS),
  port: PortSchema,
  backendGroup: EntryNameSchema,
  accessControl: AccessControlEntrySchema.optional(),
});

const LoadBalancerCreateSchema = z.strictObject({
  name: EntryNameSchema,
  vpc: EntryNameSchema,
  frontendSubnet: EntryNameSchema,
  /** Defaults to the frontend subnet. */
  backendSubnet: EntryNameSchema.optional(),
  ip: AddressOrAutoSchema.optional(),
  azs: z.array(z.string().min(1)).optional(),
  listeners: z.array(ListenerEntrySchema).optional(),
});
const LoadBalancerExistingSchema = z.strictObject({ name: EntryNameSchema, existing: ExistingIdSchema });
export const LoadBalancerEntrySchema = z.union([LoadBalancerCreateSchema, LoadBalancerExistingSchema]);

const TransitIpCreateSchema = z.strictObject({
  name: EntryNameSchema,
  subnet: EntryNameSchema,
  ip: AddressOrAutoSchema.optional(),
});
const TransitIpExistingSchema = z.strictObject({ name: EntryNameSchema, existing: ExistingIdSchema });
export const TransitIpEntrySchema = z.union([TransitIpCreateSchema, TransitIpExistingSchema]);

export const DnatTargetEntrySchema = z
  .strictObject({
    loadBalancer: EntryNameSchema.optional(),
    server: EntryNameSchema.optional(),
    ip: AddressTextSchema.optional(),
  })
  .superRefine((target, ctx) => {
    const given = (['loadBalancer', 'server', 'ip'] as const).filter((key) => target[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a DNAT target is exactly one of loadBalancer, server or ip (${given.length === 0 ? 'none' : given.join(' and ')} given)`,
        ...issueCode('VALIDATION_FAILED'),
      });
    }
  });

/**
 * A DNAT rule. Port type *specific*: protocol tcp or udp, both ports 1–65535 (the default port type).
 * *all*: protocol `any` (or omitted), ports omitted or 0. A mismatch is INVALID_PORT_SPEC on the field.
 */
export const DnatRuleEntrySchema = z
  .strictObject({
    name: EntryNameSchema.optional(),
    transitIp: EntryNameSchema,
    portType: z.enum(['specific', 'all']).optional(),
    protocol: z.enum(['tcp', 'udp', 'any']).optional(),
    transitPort: DnatPortSchema.optional(),
    internalPort: DnatPortSchema.optional(),
    target: DnatTargetEntrySchema,
  })
  .superRefine((rule, ctx) => {
    const portType = rule.portType ?? (rule.protocol === 'any' ? 'all' : 'specific');
    const bad = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message, ...issueCode('INVALID_PORT_SPEC') });
    if (portType === 'all') {
      if (rule.protocol !== undefined && rule.protocol !== 'any')
        bad('protocol', `an all-ports rule has protocol any, not ${rule.protocol}`);
      for (const field of ['transitPort', 'internalPort'] as const) {
        if (rule[field] !== undefined && rule[field] !== 0)
          bad(field, `an all-ports rule has no ${field} (or 0), not ${rule[field]}`);
      }
      return;
    }
    if (rule.protocol === undefined) bad('protocol', 'a specific-port rule needs protocol tcp or udp');
    else if (rule.protocol === 'any')
      bad('protocol', 'protocol any needs portType all; a specific-port rule is tcp or udp');
    for (const field of ['transitPort', 'internalPort'] as const) {
      if (rule[field] === undefined) bad(field, `a specific-port rule needs ${field} (1–65535)`);
      else if (rule[field] === 0) bad(field, `${field} 0 is only for all-ports rules; use 1–65535`);
    }
  })
  .transform((rule) => {
    const portType = rule.portType ?? (rule.protocol === 'any' ? 'all' : 'specific');
    return {
      ...rule,
      portType,
      protocol: portType === 'all' ? ('any' as const) : (rule.protocol as 'tcp' | 'udp'),
      transitPort: portType === 'all' ? 0 : (rule.transitPort ?? 0),
      internalPort: portType === 'all' ? 0 : (rule.internalPort ?? 0),
    };
  });

/** An SNAT rule: `source` is a subnet's name in the plan or a CIDR block. */
export const SnatRuleEntrySchema = z
  .strictObject({
    name: EntryNameSchema.optional(),
    source: z.string().min(1),
    transitIp: EntryNameSchema,
  })
  .superRefine((rule, ctx) => {
    if (/^[0-9./]+$/.test(rule.source) && tryParseCidr(rule.source) === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['source'],
        message: `'${rule.source}' is not a CIDR block (a.b.c.d/n, host bits zero) nor a subnet's name`,
        ...issueCode('INVALID_CIDR'),
      });
    }
  });

const GatewayCreateSchema = z.strictObject({
  name: EntryNameSchema,
  vpc: EntryNameSchema,
  subnet: EntryNameSchema,
  spec: z.enum(GATEWAY_SPECS).optional(),
  allowSharedTransitIp: z.boolean().optional(),
  downlinkIp: AddressOrAutoSchema.optional(),
  dnatRules: z.array(DnatRuleEntrySchema).optional(),
  snatRules: z.array(SnatRuleEntrySchema).optional(),
});
const GatewayExistingSchema = z.strictObject({
  name: EntryNameSchema,
  existing: ExistingIdSchema,
  dnatRules: z.array(DnatRuleEntrySchema).optional(),
  snatRules: z.array(SnatRuleEntrySchema).optional(),
});
export const GatewayEntrySchema = z.union([GatewayCreateSchema, GatewayExistingSchema]);

export const VerifyEntrySchema = z
  .strictObject({
    name: EntryNameSchema.optional(),
    /** A server's name in the plan. */
    from: EntryNameSchema,
    /** A transit IP's or server's name in the plan, or an address. */
    to: z.string().min(1),
    protocol: z.enum(APP_PROTOCOLS),
    port: PortSchema,
    expect: z.enum(['reachable', 'unreachable']).default('reachable'),
    /** The probe's explanation code expected with `unreachable` (`NO_MATCHING_RULE`). */
    code: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/, 'a code is upper case, as NO_MATCHING_RULE')
      .optional(),
  })
  .superRefine((entry, ctx) => {
    if (/^[0-9.]+$/.test(entry.to) && tryParseIpv4(entry.to) === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `'${entry.to}' is not an IPv4 address nor a name`,
        ...issueCode('INVALID_ADDRESS'),
      });
    }
  });

export const PlanSchema = z.strictObject({
  name: PlanNameSchema,
  description: z.string().optional(),
  /**
   * The cloud to provision into (docs/clouds.md), one of the registry's providers: `--cloud` wins over it,
   * it wins over NATFLOW_CLOUD.
   */
  cloud: z.enum(CLOUD_NAMES).optional(),
  /** What a failed provisioning does with what it created (docs/workflows.md): roll it back, or keep it for a redrive. */
  onFailure: z.enum(['rollback', 'keep']).optional(),
  vpcs: z.array(VpcEntrySchema).optional(),
  servers: z.array(ServerEntrySchema).optional(),
  backendGroups: z.array(BackendGroupEntrySchema).optional(),
  loadBalancers: z.array(LoadBalancerEntrySchema).optional(),
  transitIps: z.array(TransitIpEntrySchema).optional(),
  privateNatGateways: z.array(GatewayEntrySchema).optional(),
  verify: z.array(VerifyEntrySchema).optional(),
});

export type Plan = z.output<typeof PlanSchema>;
export type PlanInput = z.input<typeof PlanSchema>;
export type VpcEntry = z.output<typeof VpcEntrySchema>;
export type SubnetEntry = z.output<typeof SubnetEntrySchema>;
export type ServerEntry = z.output<typeof ServerEntrySchema>;
export type BackendGroupEntry = z.output<typeof BackendGroupEntrySchema>;
export type LoadBalancerEntry = z.output<typeof LoadBalancerEntrySchema>;
export type ListenerEntry = z.output<typeof ListenerEntrySchema>;
export type TransitIpEntry = z.output<typeof TransitIpEntrySchema>;
export type GatewayEntry = z.output<typeof GatewayEntrySchema>;
export type DnatRuleEntry = z.output<typeof DnatRuleEntrySchema>;
export type SnatRuleEntry = z.output<typeof SnatRuleEntrySchema>;
export type VerifyEntry = z.output<typeof VerifyEntrySchema>;

/** An entry that references an existing resource rather than creating one. */
export function isExisting<T extends object>(
  entry: T,
): entry is [Extract<T, { existing: string }>] extends [never]
  ? T & { existing: string }
  : Extract<T, { existing: string }> {
  return 'existing' in entry && typeof (entry as { existing?: unknown }).existing === 'string';
}

/**
 * Reads a plan file's text as YAML (JSON is YAML too); throws `MALFORMED_PLAN` with the parser's whole
 * message (the line of text and a caret under the place) when it is neither, or is no mapping. Returns
 * the raw document for `PlanSchema` to check. `readPlanText` (./source.ts) also gives every syntax error
 * and where each path sits.
 *
 * @example parsePlanText('name: p\nvpcs: []') // { name: 'p', vpcs: [] }
 */
export function parsePlanText(text: string): unknown {
  const read = readPlanText(text);
  if (!read.ok) {
    const [first] = read.errors;
    throw new MalformedPlanError(first?.message ?? 'the plan is not valid YAML or JSON');
  }
  return read.plan.document;
}

/** Formats a zod path as the plan's dotted path (the one mapper's, `src/cloud/issues.ts`). */
export { formatPath };

type ZodIssue = ZodError['issues'][number];

/**
 * Maps zod's issues to natflow's `{path, code, message}`, most specific code first (docs/error-codes.md#rules-the-control-plane-enforces).
 * A union that matched no branch reports the branch the entry meant: the one that does not complain
 * about `existing` (present where it is not allowed, or missing where it is required), else the one
 * with the fewest issues — so `{name, cidr: 'x'}` reports INVALID_CIDR, not "existing is required".
 */
export function planIssuesFromZod(error: ZodError): Issue[] {
  const issues: Issue[] = [];
  collect(error.issues, [], issues);
  return dedupeIssues(issues);
}

function collect(zodIssues: readonly ZodIssue[], prefix: readonly PropertyKey[], out: Issue[]): void {
  for (const issue of zodIssues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branch = pickBranch(issue.errors as ZodIssue[][]);
      if (branch) {
        collect(branch, path, out);
        continue;
      }
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          path: formatPath([...path, key]),
          code: 'VALIDATION_FAILED',
          message: `unknown field '${key}'`,
        });
      }
      continue;
    }
    out.push({ path: formatPath(path), code: codeOf(issue), message: messageOf(issue) });
  }
}

function pickBranch(branches: ZodIssue[][]): ZodIssue[] | undefined {
  const aboutExisting = (issues: ZodIssue[]) =>
    issues.some(
      (i) =>
        (i.code === 'unrecognized_keys' && i.path.length === 0 && i.keys.includes('existing')) ||
        (i.code === 'invalid_type' && i.path.length === 1 && i.path[0] === 'existing'),
    );
  const candidates = branches.some(aboutExisting) ? branches.filter((b) => !aboutExisting(b)) : branches;
  const pool = candidates.length > 0 ? candidates : branches;
  // A branch whose top-level type is wrong (a string where an object is expected) is the least likely.
  const score = (issues: ZodIssue[]) =>
    issues.length + (issues.some((i) => i.path.length === 0 && i.code === 'invalid_type') ? 100 : 0);
  return [...pool].sort((a, b) => score(a) - score(b))[0];
}

function codeOf(issue: ZodIssue): string {
  return issue.code === 'custom' ? codeOfIssue(issue) : 'VALIDATION_FAILED';
}

function messageOf(issue: ZodIssue): string {
  if (issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined) {
    return `required (${issue.expected})`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return issue.message;
}

/** Removes repeated `{path, code}` pairs, keeping the first message. */
export function dedupeIssues(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  const out: Issue[] = [];
  for (const issue of issues) {
    const key = `${issue.path}\u0000${issue.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out;
}
