import { jsonErrorPosition } from './json-error.js';

/** What was wrong with a text that should hold one JSON object. */
export type JsonObjectProblem = 'not-json' | 'not-object';

/**
 * The one reader of files and answers that must hold a JSON object: parses, checks it is an object
 * (not an array, string or null), or throws what `fail` makes of the problem. `why` says where the
 * JSON broke without quoting the text, as V8's message does: it may be a private key or a secret.
 */
export function parseJsonObject(text: string, fail: (problem: JsonObjectProblem, why: string) => Error): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw fail('not-json', jsonErrorPosition(err));
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw fail('not-object', 'it is not a JSON object');
  return doc as Record<string, unknown>;
}
