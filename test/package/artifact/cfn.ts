/**
 * The packaged CloudFormation template read as AWS would deploy it into one account and region: its
 * intrinsic functions resolved (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If with the parameters'
 * defaults), and its IAM policies evaluated for a call (action and resource, IAM's `*`/`?` wildcards).
 * Only what natflow's template uses is resolved; anything else throws, so a template that grows a new
 * construct fails the test instead of being misread.
 */
import type { CfnResource } from '../../helpers/packaged.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';

export interface Template {
  Parameters?: Record<string, { Default?: string }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
}

/** Marks a value `AWS::NoValue` removes from its object or list. */
const NO_VALUE = Symbol('AWS::NoValue');

export class Cfn {
  readonly template: Template;
  private readonly parameters: Record<string, string>;

  constructor(template: Template, parameters: Record<string, string> = {}) {
    this.template = template;
    this.parameters = parameters;
  }

  resource(id: string): CfnResource {
    const found = this.template.Resources[id];
    if (!found) throw new Error(`the template has no resource ${id}`);
    return found;
  }

  /** The resources of one type, by logical id. */
  ofType(type: string): [string, CfnResource][] {
    return Object.entries(this.template.Resources).filter(([, r]) => r.Type === type);
  }

  /** `value` with every intrinsic function resolved. */
  resolve(value: unknown): unknown {
    const resolved = this.walk(value);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  private walk(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.walk(v)).filter((v) => v !== NO_VALUE);
    if (!value || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0] as [string, unknown];
      if (key === 'Ref') return this.ref(String(arg));
      if (key === 'Fn::GetAtt') {
        const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
        return this.getAtt(String(id), String(attribute));
      }
      if (key === 'Fn::Sub') return this.sub(arg);
      if (key === 'Fn::Join') {
        const [delimiter, parts] = arg as [string, unknown[]];
        return (this.walk(parts) as unknown[]).join(delimiter);
      }
      if (key === 'Fn::If') {
        const [condition, yes, no] = arg as [string, unknown, unknown];
        return this.walk(this.condition(condition) ? yes : no);
      }
      if (key.startsWith('Fn::')) throw new Error(`cfn.ts: ${key} is not resolved here`);
    }
    const out: Record<string, unknown> = {};
    for (const [key, inner] of entries) {
      const resolved = this.walk(inner);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private parameter(name: string): string | undefined {
    return this.parameters[name] ?? this.template.Parameters?.[name]?.Default;
  }

  /** Whether the template's condition `name` holds with the parameters' defaults. */
  holds(name: string): boolean {
    return this.condition(name);
  }

  private condition(name: string): boolean {
    const evaluate = (value: unknown): boolean => {
      const [key, arg] = Object.entries(value as Record<string, unknown>)[0] ?? [];
      if (key === 'Fn::Equals') {
        const [a, b] = (arg as unknown[]).map((v) => this.walk(v));
        return a === b;
      }
      if (key === 'Fn::Not') return !evaluate((arg as unknown[])[0]);
      if (key === 'Fn::And') return (arg as unknown[]).every(evaluate);
      if (key === 'Fn::Or') return (arg as unknown[]).some(evaluate);
      if (key === 'Condition') return this.condition(String(arg));
      throw new Error(`cfn.ts: condition ${JSON.stringify(value)} is not resolved here`);
    };
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new Error(`the template has no condition ${name}`);
    return evaluate(definition);
  }

  private ref(name: string): unknown {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name === 'AWS::Region') return REGION;
    if (name === 'AWS::AccountId') return ACCOUNT;
    if (name === 'AWS::Partition') return PARTITION;
    if (name === 'AWS::URLSuffix') return 'amazonaws.com';
    if (name === 'AWS::StackName') return 'natflow-dev';
    const parameter = this.parameter(name);
    if (parameter !== undefined) return parameter;
    const resource = this.resource(name);
    const props = resource.Properties;
    switch (resource.Type) {
      case 'AWS::Lambda::Function':
        return this.walk(props.FunctionName);
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:${this.walk(props.StateMachineName)}`;
      case 'AWS::Events::EventBus':
      case 'AWS::DynamoDB::Table':
        return this.walk(props.Name ?? props.TableName);
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${PARTITION}:iam::${ACCOUNT}:policy/${name}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${this.walk(props.QueueName)}`;
      default:
        return name;
    }
  }

  private getAtt(id: string, attribute: string): unknown {
    const resource = this.resource(id);
    const props = resource.Properties;
    const key = `${resource.Type}.${attribute}`;
    switch (key) {
      case 'AWS::Lambda::Function.Arn':
        return `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${this.walk(props.FunctionName)}`;
      case 'AWS::StepFunctions::StateMachine.Arn':
        return this.ref(id);
      case 'AWS::StepFunctions::StateMachine.Name':
        return this.walk(props.StateMachineName);
      case 'AWS::Events::EventBus.Arn':
        return `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:event-bus/${this.walk(props.Name)}`;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${this.walk(props.LogGroupName)}:*`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:${PARTITION}:sqs:${REGION}:${ACCOUNT}:${this.walk(props.QueueName)}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:${PARTITION}:iam::${ACCOUNT}:role/${id}`;
      case 'AWS::Events::Rule.Arn':
        return `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:rule/${id}`;
      default:
        throw new Error(`cfn.ts: Fn::GetAtt ${id}.${attribute} (${resource.Type}) is not resolved here`);
    }
  }

  private sub(arg: unknown): string {
    const [text, variables] = Array.isArray(arg)
      ? (arg as [string, Record<string, unknown>])
      : [String(arg), {}];
    return text.replace(/\$\{(!?)([^}]+)\}/g, (whole, bang: string, name: string) => {
      if (bang) return `\${${name}}`;
      if (name in variables) return String(this.walk(variables[name]));
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::'))
        return String(this.getAtt(name.slice(0, dot), name.slice(dot + 1)));
      const value = this.ref(name);
      if (value === NO_VALUE) throw new Error(`cfn.ts: ${whole} resolves to no value`);
      return String(value);
    });
  }
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

/** IAM's wildcard match: `*` any run of characters, `?` one; case-sensitive for resources. */
export function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    ignoreCase ? 'i' : '',
  );
  return regex.test(value);
}

/** The statements of an IAM role: its inline policies and the managed policies it attaches. */
export function roleStatements(cfn: Cfn, roleId: string): Statement[] {
  const role = cfn.resolve(cfn.resource(roleId)) as {
    Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[]; ManagedPolicyArns?: string[] };
  };
  const inline = (role.Properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement);
  const managed = (role.Properties.ManagedPolicyArns ?? []).flatMap((arn) => {
    const id = arn.split('/').at(-1) ?? '';
    const policy = cfn.resolve(cfn.resource(id)) as {
      Properties: { PolicyDocument: { Statement: Statement[] } };
    };
    return policy.Properties.PolicyDocument.Statement;
  });
  // Managed policies that list the role (those whose condition holds with the parameters' defaults).
  const listing = cfn
    .ofType('AWS::IAM::ManagedPolicy')
    .filter(([, policy]) => JSON.stringify(policy.Properties.Roles ?? []).includes(`"${roleId}"`))
    .filter(([, policy]) => policy.Condition === undefined || cfn.holds(policy.Condition))
    .flatMap(
      ([id]) =>
        (cfn.resolve(cfn.resource(id).Properties.PolicyDocument) as { Statement: Statement[] }).Statement,
    );
  return [...inline, ...managed, ...listing];
}

/** Whether `statements` allow `action` on `resource` (no Deny in natflow's template; conditions are not evaluated). */
export function allows(statements: readonly Statement[], action: string, resource: string): boolean {
  return statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      [s.Action].flat().some((a) => wildcard(a, action, true)) &&
      [s.Resource].flat().some((r) => wildcard(r, resource)),
  );
}
