/**
 * The layout library for Node tests: elkjs's bundled build, as the console's browser modules get it
 * (src/console/assets/elk.ts). Its CommonJS export is the ELK class itself.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { Elk } from '../../src/console/assets/elk.ts';

export function newElk(): Elk {
  return new (ELK as unknown as new () => Elk)();
}
