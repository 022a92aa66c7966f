/**
 * A failed step's error as the Fail state and ProvisioningFailed report it: the original code, and a
 * readable cause. On AWS a Lambda error's Cause is a JSON document `{errorType, errorMessage, trace}`;
 * locally it is the message. Either way the cause becomes the message, without stack traces.
 */
export interface Failure {
  error: string;
  cause: string;
}

export function normalizeFailure(error: string, cause: string | undefined): Failure {
  // A dependency still not ready once the workflow's bounded Retry gave up: the polling bound's code.
  if (error === 'Natflow.NotReady')
    return { ...normalizeFailure('CLOUD_TIMEOUT', cause), error: 'CLOUD_TIMEOUT' };
  if (cause === undefined || cause === '') return { error, cause: error };
  try {
    const parsed: unknown = JSON.parse(cause);
    if (
      parsed &&
      typeof parsed === 'object' &&
      'errorMessage' in parsed &&
      typeof parsed.errorMessage === 'string'
    ) {
      return { error, cause: messageOf(parsed.errorMessage) };
    }
  } catch {
    // not JSON: already a message
  }
  return { error, cause };
}

/** A message that is itself a document (a wait's, src/cloud/waiting.ts): its `message`. */
function messageOf(text: string): string {
  if (!text.startsWith('{')) return text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string')
      return parsed.message;
  } catch {
    // not JSON after all
  }
  return text;
}
