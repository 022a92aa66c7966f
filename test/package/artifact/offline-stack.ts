/**
 * The packaged stack run offline as AWS would run it (docs/decisions.md, "The artifact under test"):
 *
 * - every function is its **bundled** handler from its zip, in a worker thread of its own (a warm
 *   container) whose environment is the one the template gives it, plus an endpoint and credentials
 *   naming the function (`AWS_ACCESS_KEY_ID` = the function's key);
 * - the state machines are the template's `DefinitionString`s, Task resources resolved to the functions'
 *   ARNs and each Task invoking that function's container; they run in the local engine built on
 *   aws-local-stepfunctions (src/local-sfn), served over HTTP as Step Functions;
 * - DynamoDB and EventBridge are moto's (the table created from the template's own definition);
 * - the status-change rules of the template (source `aws.states`) start their targets when an
 *   execution closes, as EventBridge would;
 * - every AWS call leaves the containers through one recording proxy on loopback: function, action and
 *   resource, to be checked against the function's role in the template; a test may answer a call
 *   itself (`intercept`) to inject a fault or hold a call.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { type ExecutionRecord, SfnService, startSfnServer } from '../../../src/local-sfn/index.ts';
import { statusChangeEntry } from '../../../src/stack/status-change.ts';
import { apiEvent, type EventOptions } from '../../api/events.ts';
import { type Packaged, zipEntries } from '../../helpers/packaged.ts';
import { ACCOUNT, Cfn, PARTITION, REGION } from './cfn.ts';

/** One packaged function: its key in serverless.yml, its deployed name, role, environment and bundle. */
export interface PackagedFunction {
  key: string;
  logicalId: string;
  name: string;
  arn: string;
  roleId: string;
  handler: string;
  timeoutMs: number;
  env: Record<string, string>;
  /** The extracted `.mjs`. */
  bundle: string;
}

/** One AWS call a container made, as the proxy saw it. */
export interface Call {
  /** The function's key (from the request's credential). */
  fn: string;
  /** `dynamodb:Query`, `events:PutEvents`, `states:StartExecution` … */
  action: string;
  /** The resources of the action, as IAM evaluates it (one per table of a batch, per item of a transaction). */
  checks: { action: string; resource: string }[];
  target: string;
  body: Record<string, unknown>;
}

/** A canned answer of the proxy instead of forwarding a call. */
export interface Answer {
  status: number;
  body: unknown;
}

export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  json: Record<string, unknown> & { errors?: { path: string; code: string; message: string }[] };
}

const TARGETS: Readonly<Record<string, string>> = {
  DynamoDB_20120810: 'dynamodb',
  AWSEvents: 'events',
  AWSStepFunctions: 'states',
  secretsmanager: 'secretsmanager',
};

export class OfflineStack {
  readonly calls: Call[] = [];
  /** Answers a call itself (a fault, a held call) when it returns something; forwards it otherwise. */
  intercept: ((call: Call) => Answer | undefined | Promise<Answer | undefined>) | undefined;
  readonly functions = new Map<string, PackagedFunction>();
  readonly sfn: SfnService;
  private readonly workers = new Map<
    string,
    { worker: Worker; pending: Map<number, (reply: Reply) => void> }
  >();
  private nextId = 0;
  private proxy: Server | undefined;
  private proxyUrl = '';
  private sfnServer: { url: string; close(): Promise<void> } | undefined;
  private readonly closedHooks: Promise<unknown>[] = [];

  readonly cfn: Cfn;
  private readonly scratch: string;
  private readonly motoEndpoint: string;

  private constructor(cfn: Cfn, scratch: string, motoEndpoint: string) {
    this.cfn = cfn;
    this.scratch = scratch;
    this.motoEndpoint = motoEndpoint;
    for (const [logicalId, resource] of cfn.ofType('AWS::Lambda::Function')) {
      const props = resource.Properties as {
        FunctionName: string;
        Handler: string;
        Timeout?: number;
        Role: { 'Fn::GetAtt': [string, string] };
        Code: { S3Key: string };
        Environment?: { Variables: Record<string, unknown> };
      };
      const name = String(cfn.resolve(props.FunctionName));
      const key = basename(props.Code.S3Key, '.zip');
      this.functions.set(key, {
        key,
        logicalId,
        name,
        arn: `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${name}`,
        roleId: props.Role['Fn::GetAtt'][0],
        handler: props.Handler,
        timeoutMs: (props.Timeout ?? 6) * 1000,
        env: Object.fromEntries(
          Object.entries(
            (cfn.resolve(props.Environment?.Variables ?? {}) ?? {}) as Record<string, unknown>,
          ).map(([k, v]) => [k, String(v)]),
        ),
        bundle: '',
      });
    }
    this.sfn = new SfnService({
      db: ':memory:',
      region: REGION,
      accountId: ACCOUNT,
      waitTimeScale: 0,
      stateMachines: cfn.ofType('AWS::StepFunctions::StateMachine').map(([, machine]) => ({
        name: String(cfn.resolve(machine.Properties.StateMachineName)),
        definition: JSON.parse(String(cfn.resolve(machine.Properties.DefinitionString))) as object,
      })),
      resolveTask: (resource) => {
        const fn = [...this.functions.values()].find((f) => f.arn === resource);
        if (!fn) throw new Error(`a Task names ${JSON.stringify(resource)}, which is no packaged function`);
        return async (input) => {
          const reply = await this.invoke(fn.key, input);
          if (reply.ok) return reply.result;
          throw Object.assign(new Error(reply.errorMessage), { name: reply.errorType });
        };
      },
      onExecutionClosed: (execution) => {
        this.closedHooks.push(this.statusChanged(execution));
      },
    });
  }

  /** Extracts the zips of `packaged`, creates the table and the bus on moto, starts the proxy and Step Functions. */
  static async open(packaged: Packaged, motoEndpoint: string): Promise<OfflineStack> {
    const scratch = mkdtempSync(join(tmpdir(), 'natflow-artifact-'));
    const stack = new OfflineStack(new Cfn(packaged.template), scratch, motoEndpoint);
    for (const fn of stack.functions.values()) {
      const zip = readFileSync(join(packaged.dir, `${fn.key}.zip`));
      for (const entry of zipEntries(zip)) {
        if (entry.name.endsWith('/')) continue;
        const path = join(scratch, fn.key, entry.name);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, entry.content());
      }
      fn.bundle = join(scratch, fn.key, fn.handler.replace(/\.[^.]+$/, '.mjs'));
    }
    await stack.createAwsResources();
    stack.sfnServer = await startSfnServer(stack.sfn);
    await stack.startProxy();
    return stack;
  }

  /** The table (the template's definition) and the bus on moto, fresh. */
  private async createAwsResources(): Promise<void> {
    const credentials = { accessKeyId: 'artifact-setup', secretAccessKey: 'artifact' };
    const ddb = new DynamoDBClient({ endpoint: this.motoEndpoint, region: REGION, credentials });
    const events = new EventBridgeClient({ endpoint: this.motoEndpoint, region: REGION, credentials });
    try {
      const [, table] = this.cfn.ofType('AWS::DynamoDB::Table')[0] ?? [];
      if (!table) throw new Error('the template has no table');
      const props = this.cfn.resolve(table.Properties) as Record<string, unknown>;
      const TableName = String(props.TableName);
      await ddb.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
      await ddb.send(
        new CreateTableCommand({
          TableName,
          BillingMode: props.BillingMode as 'PAY_PER_REQUEST',
          AttributeDefinitions: props.AttributeDefinitions as never,
          KeySchema: props.KeySchema as never,
          GlobalSecondaryIndexes: props.GlobalSecondaryIndexes as never,
        }),
      );
      for (const [, bus] of this.cfn.ofType('AWS::Events::EventBus')) {
        const Name = String(this.cfn.resolve(bus.Properties.Name));
        await events.send(new CreateEventBusCommand({ Name })).catch((error: Error) => {
          if (error.name !== 'ResourceAlreadyExistsException') throw error;
        });
      }
    } finally {
      ddb.destroy();
      events.destroy();
    }
  }

  private async startProxy(): Promise<void> {
    this.proxy = createServer((req, res) => {
      void (async () => {
        const body = await readBody(req);
        const call = describeCall(req, body);
        this.calls.push(call);
        const answer = await this.intercept?.(call);
        if (answer) {
          res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify(answer.body));
          return;
        }
        const upstream = call.action.startsWith('states:') ? (this.sfnServer?.url ?? '') : this.motoEndpoint;
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k)),
        ) as Record<string, string>;
        const forwarded = await fetch(`${upstream}${req.url ?? '/'}`, {
          method: req.method ?? 'POST',
          headers,
          body,
        });
        const text = Buffer.from(await forwarded.arrayBuffer());
        const out: Record<string, string> = {};
        forwarded.headers.forEach((value, key) => {
          if (!['content-length', 'connection', 'transfer-encoding', 'content-encoding'].includes(key))
            out[key] = value;
        });
        res.writeHead(forwarded.status, out);
        res.end(text);
      })().catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ __type: 'ProxyError', message: String(error) }));
      });
    });
    await new Promise<void>((resolve) => this.proxy?.listen(0, '127.0.0.1', resolve));
    this.proxyUrl = `http://127.0.0.1:${(this.proxy.address() as AddressInfo).port}`;
  }

  /** The function's container: started on first use, reused after (a warm container). */
  private container(key: string) {
    let container = this.workers.get(key);
    if (container) return container;
    const fn = this.functions.get(key);
    if (!fn) throw new Error(`no packaged function ${key}`);
    const { NODE_OPTIONS: _nodeOptions, ...templateEnv } = fn.env;
    const home = join(this.scratch, 'home');
    mkdirSync(home, { recursive: true });
    const worker = new Worker(new URL('./lambda-worker.ts', import.meta.url), {
      workerData: {
        bundle: fn.bundle,
        exportName: fn.handler.split('.').at(-1),
        functionName: fn.name,
        timeoutMs: fn.timeoutMs,
      },
      env: {
        ...templateEnv,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: key,
        AWS_SECRET_ACCESS_KEY: 'artifact',
        AWS_ENDPOINT_URL: this.proxyUrl,
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        HOME: home,
        PATH: process.env.PATH ?? '',
      },
      stdout: true,
      stderr: true,
    });
    const pending = new Map<number, (reply: Reply) => void>();
    worker.on('message', (reply: Reply & { id: number }) => {
      pending.get(reply.id)?.(reply);
      pending.delete(reply.id);
    });
    worker.on('error', (error) => {
      for (const done of pending.values())
        done({ ok: false, errorType: 'Runtime.ExitError', errorMessage: String(error) });
      pending.clear();
    });
    worker.stdout.resume();
    worker.stderr.resume();
    container = { worker, pending };
    this.workers.set(key, container);
    return container;
  }

  /** Invokes the function `key` with `event`, as Lambda's Invoke would. */
  invoke(key: string, event: unknown): Promise<Reply> {
    const { worker, pending } = this.container(key);
    const id = ++this.nextId;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      worker.postMessage({ id, event });
    });
  }

  /** Calls an API route's function with an API Gateway proxy event. */
  async api(key: string, options: EventOptions): Promise<ApiAnswer> {
    const reply = await this.invoke(key, apiEvent(options));
    if (!reply.ok) throw new Error(`${key} failed: ${reply.errorType}: ${reply.errorMessage}`);
    const result = reply.result as APIGatewayProxyResult;
    return {
      status: result.statusCode,
      headers: (result.headers ?? {}) as Record<string, string>,
      json: result.body ? (JSON.parse(result.body) as ApiAnswer['json']) : {},
    };
  }

  /** The state machine ARN of a template logical id. */
  machineArn(logicalId: string): string {
    return String(this.cfn.resolve({ Ref: logicalId }));
  }

  /** The rules of the template on Step Functions' status-change events, as EventBridge runs them. */
  private async statusChanged(execution: ExecutionRecord): Promise<void> {
    const entry = statusChangeEntry(execution);
    const detail = JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>;
    for (const [, rule] of this.cfn.ofType('AWS::Events::Rule')) {
      const props = this.cfn.resolve(rule.Properties) as {
        EventPattern?: { source?: string[]; 'detail-type'?: string[]; detail?: Record<string, unknown[]> };
        Targets?: { Arn: string; InputPath?: string }[];
      };
      const pattern = props.EventPattern;
      if (!pattern?.source?.includes(entry.Source ?? '')) continue;
      if (pattern['detail-type'] && !pattern['detail-type'].includes(entry.DetailType ?? '')) continue;
      const matches = Object.entries(pattern.detail ?? {}).every(([field, values]) =>
        values.includes(detail[field] as never),
      );
      if (!matches) continue;
      for (const target of props.Targets ?? []) {
        if (target.InputPath !== '$.detail')
          throw new Error(`a status-change target with InputPath ${target.InputPath}`);
        await this.sfn.startExecution({
          stateMachineArn: target.Arn,
          name: randomUUID(),
          input: JSON.stringify(detail),
        });
      }
    }
  }

  /** Waits for the rules an execution's close triggered to have started their targets. */
  async rulesSettled(): Promise<void> {
    await Promise.all(this.closedHooks.splice(0));
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map(({ worker }) => worker.terminate()));
    this.workers.clear();
    await this.sfn.close().catch(() => undefined);
    await this.sfnServer?.close();
    await new Promise<void>((resolve) => {
      this.proxy?.closeAllConnections();
      this.proxy?.close(() => resolve());
    });
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

export type Reply = { ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string };

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const tableArn = (name: string) =>
  name.startsWith('arn:') ? name : `arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
const busArn = (name: string | undefined) =>
  name?.startsWith('arn:')
    ? name
    : `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:event-bus/${name ?? 'default'}`;

/** The function, action and resources of one request (the AWS JSON protocols natflow's clients speak). */
function describeCall(req: IncomingMessage, text: string): Call {
  const credential = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '?';
  const target = String(req.headers['x-amz-target'] ?? '');
  const [prefix = '', operation = ''] = target.split('.');
  const service = TARGETS[prefix] ?? prefix;
  const action = `${service}:${operation}`;
  const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  const checks: { action: string; resource: string }[] = [];
  if (service === 'dynamodb') {
    if (operation === 'TransactWriteItems') {
      const kinds: Record<string, string> = {
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
      };
      for (const item of (body.TransactItems ?? []) as Record<string, { TableName: string }>[]) {
        for (const [kind, inner] of Object.entries(item))
          checks.push({ action: `dynamodb:${kinds[kind] ?? kind}`, resource: tableArn(inner.TableName) });
      }
    } else if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
      for (const table of Object.keys((body.RequestItems ?? {}) as object))
        checks.push({ action, resource: tableArn(table) });
    } else {
      const table = tableArn(String(body.TableName));
      checks.push({ action, resource: body.IndexName ? `${table}/index/${String(body.IndexName)}` : table });
    }
  } else if (service === 'events') {
    for (const entry of (body.Entries ?? []) as { EventBusName?: string }[])
      checks.push({ action, resource: busArn(entry.EventBusName) });
  } else if (service === 'states') {
    checks.push({ action, resource: String(body.executionArn ?? body.stateMachineArn ?? '*') });
  } else {
    checks.push({ action, resource: String(body.SecretId ?? '*') });
  }
  return { fn: credential, action, checks, target, body };
}
