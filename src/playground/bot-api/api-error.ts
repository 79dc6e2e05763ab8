/**
 * Bot API errors and JSON responses: `ApiError` is an error answered the way Telegram shapes it
 * (`{ ok: false, error_code, description, parameters? }`), with helpers to build the common ones
 * (bad requests, injected faults) and to write JSON or an error to an HTTP response.
 */
import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Fault } from './types.ts';

/** An error answered the way Telegram shapes it. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}
export const badRequest = (what: string) => new ApiError(400, `Bad Request: ${what}`);

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

export function sendError(res: ServerResponse, error: ApiError): void {
  sendJson(res, error.code, {
    ok: false,
    error_code: error.code,
    description: error.description,
    ...(error.retryAfter === undefined ? {} : { parameters: { retry_after: error.retryAfter } }),
  });
}

export function faultError(fault: Extract<Fault, { kind: 'status' }>): ApiError {
  const retryAfter = fault.retryAfter ?? (fault.status === 429 ? 1 : undefined);
  const description =
    fault.description ??
    (fault.status === 429 ? `Too Many Requests: retry after ${retryAfter}` : (STATUS_CODES[fault.status] ?? 'Error'));
  return new ApiError(fault.status, description, retryAfter);
}
