/**
 * Request body readers: each names the field and the rule it broke, as a 400 in the service's shape.
 * Types are checked as the API reference declares them (strings where the SDK models say string —
 * `transit_service_port` is a string —, integers, booleans, arrays, objects).
 */
import { badRequest, type HuaweiService } from './errors.ts';

export type Json = Record<string, unknown>;

export class Fields {
  readonly service: HuaweiService;
  readonly path: string;
  readonly value: Json;

  constructor(service: HuaweiService, path: string, value: unknown) {
    this.service = service;
    this.path = path;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw badRequest(service, `${path} must be a JSON object`);
    }
    this.value = value as Json;
  }

  /** The request body's wrapper object (`{"vpc": {...}}`). */
  static body(service: HuaweiService, body: unknown, wrapper: string): Fields {
    if (body === undefined)
      throw badRequest(service, `the request has no body; it needs {"${wrapper}": {...}}`);
    const outer = new Fields(service, 'body', body);
    return outer.object(wrapper, true) as Fields;
  }

  private name(field: string): string {
    return this.path === 'body' ? field : `${this.path}.${field}`;
  }

  fail(field: string, rule: string): Error {
    return badRequest(this.service, `${this.name(field)} ${rule}`);
  }

  has(field: string): boolean {
    return this.value[field] !== undefined && this.value[field] !== null;
  }

  string(field: string, required: true, max?: number): string;
  string(field: string, required?: false, max?: number): string | undefined;
  string(field: string, required = false, max = 255): string | undefined {
    const v = this.value[field];
    if (v === undefined || v === null) {
      if (required) throw this.fail(field, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') throw this.fail(field, `must be a string, not ${describe(v)}`);
    if (v.length > max) throw this.fail(field, `must be at most ${max} characters`);
    return v;
  }

  /** A resource name: 1–64 characters of letters, digits, `_`, `-`, `.` (the VPC/NAT rule). */
  name64(field: string, required: true): string;
  name64(field: string, required?: false): string | undefined;
  name64(field: string, required = false): string | undefined {
    const v = required ? this.string(field, true, 64) : this.string(field, false, 64);
    if (v === undefined) return undefined;
    if (v.length === 0 && required) throw this.fail(field, 'must not be empty');
    if (/[<>]/.test(v)) throw this.fail(field, 'must not contain < or >');
    return v;
  }

  description(field = 'description'): string | undefined {
    const v = this.string(field, false, 255);
    if (v !== undefined && /[<>]/.test(v)) throw this.fail(field, 'must not contain < or >');
    return v;
  }

  integer(field: string, required: true, min?: number, max?: number): number;
  integer(field: string, required?: false, min?: number, max?: number): number | undefined;
  integer(field: string, required = false, min = -2147483648, max = 2147483647): number | undefined {
    const v = this.value[field];
    if (v === undefined || v === null) {
      if (required) throw this.fail(field, 'is required');
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw this.fail(field, `must be an integer, not ${describe(v)}`);
    if (v < min || v > max) throw this.fail(field, `must be ${min}–${max}, not ${v}`);
    return v;
  }

  boolean(field: string): boolean | undefined {
    const v = this.value[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw this.fail(field, `must be true or false, not ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(field: string, values: readonly T[], required: true): T;
  oneOf<T extends string>(field: string, values: readonly T[], required?: false): T | undefined;
  oneOf<T extends string>(field: string, values: readonly T[], required = false): T | undefined {
    const v = required ? this.string(field, true) : this.string(field, false);
    if (v === undefined) return undefined;
    if (!values.includes(v as T)) throw this.fail(field, `must be one of ${values.join(', ')}, not "${v}"`);
    return v as T;
  }

  object(field: string, required: true): Fields;
  object(field: string, required?: false): Fields | undefined;
  object(field: string, required = false): Fields | undefined {
    const v = this.value[field];
    if (v === undefined || v === null) {
      if (required) throw this.fail(field, 'is required');
      return undefined;
    }
    return new Fields(this.service, this.name(field), v);
  }

  array(field: string, required = false, max = 1000): unknown[] | undefined {
    const v = this.value[field];
    if (v === undefined || v === null) {
      if (required) throw this.fail(field, 'is required');
      return undefined;
    }
    if (!Array.isArray(v)) throw this.fail(field, `must be an array, not ${describe(v)}`);
    if (v.length > max) throw this.fail(field, `must have at most ${max} entries`);
    return v;
  }

  objects(field: string, required = false, max = 1000): Fields[] | undefined {
    const list = this.array(field, required, max);
    return list?.map((item, i) => new Fields(this.service, `${this.name(field)}[${i}]`, item));
  }

  strings(field: string, required = false, max = 1000): string[] | undefined {
    const list = this.array(field, required, max);
    return list?.map((item, i) => {
      if (typeof item !== 'string')
        throw this.fail(`${field}[${i}]`, `must be a string, not ${describe(item)}`);
      return item;
    });
  }

  /** Any JSON value kept as given (tags, metadata, session persistence). */
  raw(field: string): unknown {
    return this.value[field];
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
