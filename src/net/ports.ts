/**
 * Transport ports and port ranges.
 *
 * A `Port` is an integer 1–65535; 0 appears only in an all-ports DNAT rule, where it means "any" and
 * is never a real port. A `PortRange` is inclusive (`8000-8080` holds 81 ports). Security group rules
 * take `80`, `"80"` or `"8000-8080"`.
 */
import { InvalidPortSpecError } from './errors.ts';

declare const portBrand: unique symbol;

/** A transport port 1–65535. */
export type Port = number & { readonly [portBrand]: true };

/** An inclusive range of ports, `from <= to`. */
export interface PortRange {
  readonly from: Port;
  readonly to: Port;
}

export const MIN_PORT = 1;
export const MAX_PORT = 65535;

export function isPort(value: unknown): value is Port {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_PORT && value <= MAX_PORT;
}

/**
 * Parses a port from a number or a decimal string, or throws `INVALID_PORT_SPEC`.
 *
 * @example parsePort('80') // 80
 */
export function parsePort(value: unknown, path?: string): Port {
  const n = typeof value === 'string' && /^[0-9]{1,5}$/.test(value) ? Number(value) : value;
  if (!isPort(n)) {
    throw new InvalidPortSpecError(
      `port ${JSON.stringify(value)} is not an integer from 1 to 65535`,
      path ? { path } : {},
    );
  }
  return n;
}

/**
 * Parses `80`, `"80"` or `"8000-8080"` into an inclusive range, or throws `INVALID_PORT_SPEC`.
 *
 * @example parsePortRange('8000-8080') // { from: 8000, to: 8080 }
 */
export function parsePortRange(value: unknown, path?: string): PortRange {
  if (typeof value === 'string' && value.includes('-')) {
    const [fromText, toText, ...rest] = value.split('-');
    const opts = path ? { path } : {};
    if (rest.length > 0 || fromText === undefined || toText === undefined) {
      throw new InvalidPortSpecError(`port range '${value}' is not FROM-TO`, opts);
    }
    const from = parsePort(fromText.trim(), path);
    const to = parsePort(toText.trim(), path);
    if (from > to)
      throw new InvalidPortSpecError(`port range '${value}' runs backwards (${from} > ${to})`, opts);
    return { from, to };
  }
  const port = parsePort(value, path);
  return { from: port, to: port };
}

export function portInRange(range: PortRange, port: number): boolean {
  return port >= range.from && port <= range.to;
}

export function formatPortRange(range: PortRange): string {
  return range.from === range.to ? String(range.from) : `${range.from}-${range.to}`;
}
