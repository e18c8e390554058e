/** Error shaping for `fleming serve`: every failure leaves as an OpenAI-style `{error: {...}}` body. */
import { QueueFull } from './queue';

/** An OpenAI-style failure: status and `{error: {message, type, param, code}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

/** The error as the client sees it: an ApiError as is, a full queue as 429, anything else as 500 server_error. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof QueueFull) return new ApiError(429, `the server is busy: ${e.message}; retry later`, null, 'queue_full', 'rate_limit_error');
  return new ApiError(500, `internal error: ${e instanceof Error ? e.message : String(e)}`, null, null, 'server_error');
}

/** The JSON body of an error response. */
export function errorBody(err: ApiError): { error: { message: string; type: string; param: string | null; code: string | null } } {
  return { error: { message: err.message, type: err.type, param: err.param, code: err.code } };
}
