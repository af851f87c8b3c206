import type { ServerResponse } from 'node:http';

/** What a route answers: every answer is written by `send`, with Google's headers. */
export interface Answer {
  status: number;
  body: string;
  type?: 'application/json' | 'application/text';
}

export const text = (body: string, status = 200): Answer => ({ status, body });
export const json = (value: unknown): Answer => ({ status: 200, body: JSON.stringify(value), type: 'application/json' });
export const notFound = (body = 'Not found.\n'): Answer => ({ status: 404, body });

export function send(res: ServerResponse, { status, body, type = 'application/text' }: Answer): void {
  // Every answer carries Metadata-Flavor (Node and Go check it); JSON exactly as application/json.
  res.writeHead(status, { 'Metadata-Flavor': 'Google', 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}
