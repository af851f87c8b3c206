import { TokenTrayError } from '../shared/errors.js';
import { readUserFile } from '../storage/read-user-file.js';
import { assertNoControlCharacters } from '../shared/sanitize.js';
import { parseJsonObject } from '../shared/json-object.js';

/** An OAuth client as TokenTray uses it. Desktop clients' secrets are not confidential but are sent. */
export interface OAuthClient {
  readonly clientId: string;
  readonly clientSecret?: string;
}

const DESKTOP_HINT =
  'In the Google Cloud Console open APIs & Services > Credentials, choose Create credentials > OAuth client ID, ' +
  'application type "Desktop app", and download its JSON.';

function fail(code: 'CLIENT_FILE_INVALID' | 'CLIENT_FILE_WRONG_TYPE' | 'CLIENT_FILE_WEB_CLIENT', source: string, why: string): never {
  throw new TokenTrayError(code, `${source}: ${why}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses the text of a Google `client_secret_*.json`; only the `installed` (Desktop app) form is accepted. */
export function parseClientSecretJson(text: string, source = 'client file'): OAuthClient {
  const doc = parseJsonObject(text, (problem, why) =>
    problem === 'not-json'
      ? new TokenTrayError('CLIENT_FILE_INVALID_JSON', `${source}: ${why}. Download the client's JSON again from the Cloud Console.`)
      : new TokenTrayError('CLIENT_FILE_INVALID', `${source}: expected a JSON object with an "installed" section. ${DESKTOP_HINT}`),
  );
  if (isObject(doc.web)) {
    fail('CLIENT_FILE_WEB_CLIENT', source, `this is a "Web application" client, which cannot use TokenTray's loopback redirect. ${DESKTOP_HINT}`);
  }
  if (typeof doc.type === 'string') {
    const what =
      doc.type === 'service_account'
        ? 'a service-account key'
        : doc.type === 'authorized_user'
          ? 'an application-default-credentials file (authorized_user)'
          : `a credentials file of type "${doc.type}"`;
    fail('CLIENT_FILE_WRONG_TYPE', source, `this is ${what}, not an OAuth client. ${DESKTOP_HINT}`);
  }
  const installed = doc.installed;
  if (!isObject(installed)) fail('CLIENT_FILE_INVALID', source, `no "installed" section found. ${DESKTOP_HINT}`);
  const { client_id: clientId, client_secret: clientSecret } = installed;
  if (typeof clientId !== 'string' || clientId.trim() === '') fail('CLIENT_FILE_INVALID', source, '"installed.client_id" is missing or empty.');
  if (clientSecret !== undefined && typeof clientSecret !== 'string') fail('CLIENT_FILE_INVALID', source, '"installed.client_secret" must be a string.');
  assertNoControlCharacters(clientId, 'CLIENT_FILE_INVALID', `${source}: "installed.client_id"`);
  assertNoControlCharacters(clientSecret, 'CLIENT_FILE_INVALID', `${source}: "installed.client_secret"`);
  return clientSecret ? { clientId: clientId.trim(), clientSecret } : { clientId: clientId.trim() };
}

export async function readClientSecretFile(path: string): Promise<OAuthClient> {
  return parseClientSecretJson(await readUserFile(path, 'CLIENT_FILE_UNREADABLE', 'the client file'), path);
}

export function clientFromFlags(clientId: string | undefined, clientSecret: string | undefined): OAuthClient | undefined {
  if (clientId === undefined && clientSecret === undefined) return undefined;
  if (!clientId) throw new TokenTrayError('USAGE', 'A client secret needs its client id.');
  assertNoControlCharacters(clientId, 'USAGE', 'The client id');
  assertNoControlCharacters(clientSecret, 'USAGE', 'The client secret');
  return clientSecret ? { clientId, clientSecret } : { clientId };
}
