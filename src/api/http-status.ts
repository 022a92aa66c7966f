/**
 * The HTTP status of each natflow error code (docs/http-api.md): what natflow's API answers for a coded error.
 * Each code's status is a column of the one code table (`src/codes/codes.ts`); this is its reader.
 */
import { CODES, isErrorCode } from '../codes/codes.ts';

/**
 * The HTTP status of a code (docs/http-api.md): 404 `NOT_FOUND`, 409 conflicts with existing state,
 * 422 anything wrong with the input itself, and each transport code its own. A code the table does not
 * know (an error named by something else) is 422.
 *
 * @example httpStatusOf('DNAT_PORT_CONFLICT') // 409
 */
export function httpStatusOf(code: string): number {
  return isErrorCode(code) ? CODES[code].status : 422;
}
