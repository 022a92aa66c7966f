/**
 * Time as a dependency. The core never reads a global clock: components take a `Clock` field, production
 * passes `systemClock`, and tests pass a `ManualClock` they advance instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`a clock cannot go back (${ms} ms)`);
    this.current += ms;
  }

  set(ms: number): void {
    this.current = ms;
  }
}
