/**
 * A local osls plugin (serverless.yml `plugins`) that finishes the compiled CloudFormation template
 * after every resource is merged and before it is written, so `cfn-lint` finds nothing to report:
 *
 * - redundantDependsOn (cfn-lint W3005): the framework adds `DependsOn: <Function>Role` to each function
 *   whose `Role` is already a `Fn::GetAtt` of that role; the GetAtt orders them anyway.
 * - explicitLogGroupPolicies (I3011): every log group says what a stack update or removal does to it:
 *   `Delete` — logs expire after their retention, and a retained log group's fixed name would block
 *   the next deployment of the stage, as the retained table does (that one is adopted, infra/table.yml).
 * - deadLetters: every EventBridge rule that starts a state machine retries (RetryPolicy) and then parks
 *   the event in the stage's SQS dead-letter queue; serverless-step-functions takes `deadLetterConfig`
 *   for `eventBridge` events but not for `schedule` ones, so the schedule's target gets it here. A
 *   target left without either fails the packaging.
 * - joinsToSubs (I1022): `Fn::Join` of literals, `Ref`s and `Fn::GetAtt`s becomes the equivalent
 *   `Fn::Sub` (done here, after osls resolved its own `${…}` variables, so `${AWS::Region}` in a Sub
 *   never meets the variable resolver).
 */
'use strict';

const DEAD_LETTER_QUEUE = 'NatflowEventsDeadLetterQueue';
const DEFAULT_RETRY = { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 };

/** Logical ids an intrinsic inside `value` refers to (Ref, Fn::GetAtt, Fn::Sub's ${Id} and ${Id.Attr}). */
function referencedIds(value, into = new Set()) {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') into.add(inner);
      else if (key === 'Fn::GetAtt') {
        const target = Array.isArray(inner) ? inner[0] : String(inner).split('.')[0];
        if (typeof target === 'string') into.add(target);
      } else if (key === 'Fn::Sub') {
        const text = Array.isArray(inner) ? inner[0] : inner;
        if (typeof text === 'string')
          for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}/g)) into.add(m[1]);
      }
      referencedIds(inner, into);
    }
  }
  return into;
}

function redundantDependsOn(template) {
  let dropped = 0;
  for (const resource of Object.values(template.Resources)) {
    if (resource.DependsOn === undefined) continue;
    const refs = referencedIds(resource.Properties ?? {});
    const list = Array.isArray(resource.DependsOn) ? resource.DependsOn : [resource.DependsOn];
    const kept = list.filter((id) => !refs.has(id));
    dropped += list.length - kept.length;
    if (kept.length === 0) delete resource.DependsOn;
    else resource.DependsOn = kept;
  }
  return dropped;
}

function explicitLogGroupPolicies(template) {
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Logs::LogGroup') continue;
    resource.DeletionPolicy ??= 'Delete';
    resource.UpdateReplacePolicy ??= 'Delete';
  }
}

function deadLetters(template) {
  const machines = new Set(
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map(([id]) => id),
  );
  const missing = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Events::Rule') continue;
    for (const target of resource.Properties?.Targets ?? []) {
      if (!machines.has(target.Arn?.Ref)) continue;
      if (!template.Resources[DEAD_LETTER_QUEUE]) {
        missing.push(`${id}: no ${DEAD_LETTER_QUEUE} in the template`);
        continue;
      }
      target.DeadLetterConfig ??= { Arn: { 'Fn::GetAtt': [DEAD_LETTER_QUEUE, 'Arn'] } };
      target.RetryPolicy ??= { ...DEFAULT_RETRY };
    }
  }
  if (missing.length > 0)
    throw new Error(`natflow: rules without a dead-letter queue: ${missing.join('; ')}`);
}

/** `${…}`-escapes a literal for Fn::Sub. */
const literal = (text) => text.replace(/\$\{/g, '${!');

function asSub(join) {
  const [delimiter, parts] = join;
  if (typeof delimiter !== 'string' || !Array.isArray(parts)) return undefined;
  const pieces = [];
  for (const part of parts) {
    if (typeof part === 'string') pieces.push(literal(part));
    else if (
      part &&
      typeof part === 'object' &&
      typeof part.Ref === 'string' &&
      Object.keys(part).length === 1
    )
      pieces.push(`\${${part.Ref}}`);
    else if (
      part &&
      typeof part === 'object' &&
      typeof part['Fn::Sub'] === 'string' &&
      Object.keys(part).length === 1
    )
      pieces.push(part['Fn::Sub']);
    else if (
      part &&
      typeof part === 'object' &&
      Object.keys(part).length === 1 &&
      Array.isArray(part['Fn::GetAtt']) &&
      part['Fn::GetAtt'].every((x) => typeof x === 'string')
    )
      pieces.push(`\${${part['Fn::GetAtt'].join('.')}}`);
    else return undefined;
  }
  return { 'Fn::Sub': pieces.join(literal(delimiter)) };
}

function joinsToSubs(value) {
  if (Array.isArray(value)) return value.map(joinsToSubs);
  if (!value || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'Fn::Join') {
    const inner = joinsToSubs(value['Fn::Join']);
    return asSub(inner) ?? { 'Fn::Join': inner };
  }
  return Object.fromEntries(keys.map((key) => [key, joinsToSubs(value[key])]));
}

class NatflowHarden {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'before:aws:package:finalize:saveServiceState': () => this.harden(),
    };
  }

  harden() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    redundantDependsOn(template);
    explicitLogGroupPolicies(template);
    deadLetters(template);
    template.Resources = joinsToSubs(template.Resources);
    if (template.Outputs) template.Outputs = joinsToSubs(template.Outputs);
  }
}

module.exports = NatflowHarden;
module.exports.joinsToSubs = joinsToSubs;
module.exports.redundantDependsOn = redundantDependsOn;
