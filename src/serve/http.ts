/** The HTTP plumbing of `fleming serve`: bounded body reading, JSON replies, the bearer-key check. */
import { timingSafeEqual } from 'node:crypto';
import type * as http from 'node:http';
import { ApiError } from './errors';

/**
 * Reads a request body of at most `maxBytes` as UTF-8. A larger body is drained and refused with
 * 413 (so the client reads the answer); one past 16 × the limit is cut off.
 */
export function readBody(req: http.IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = () => new ApiError(413, `the request body exceeds ${maxBytes} bytes`, null, 'request_too_large');
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= maxBytes) chunks.push(c);
      else if (size > 16 * maxBytes) {
        reject(tooLarge()); // stop reading a body far past the limit
        req.destroy();
      } // else drain and discard, so the client reads the 413
    });
    req.on('end', () => (size > maxBytes ? reject(tooLarge()) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/** Parses a request body as JSON; 400 when it is not. */
export function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'the request body is not valid JSON');
  }
}

/** Answers with a JSON body. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Whether the request carries `Authorization: Bearer <apiKey>` (always, when there is no key); compared in constant time. */
export function authorized(req: http.IncomingMessage, apiKey: string | undefined): boolean {
  if (apiKey === undefined) return true;
  const h = req.headers.authorization ?? '';
  const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '');
  const want = Buffer.from(apiKey);
  return given.length === want.length && timingSafeEqual(given, want);
}
