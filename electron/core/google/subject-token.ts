import { execFile } from 'node:child_process';
import { readBoundedFile } from '../storage/read-user-file.js';
import { TokenTrayError } from '../shared/errors.js';
import { issuerText, pathText } from '../shared/sanitize.js';
import { loggingFetch, requestTimeoutSeconds } from '../shared/logger.js';
import { checkedEndpoint } from './google-http.js';
import type { CredentialSource, SubjectFormat } from './external-account-file.js';
import { parseJsonObject } from '../shared/json-object.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Bounds what a source may hand back: subject tokens are JWTs or SAML assertions, well under this. */
const SUBJECT_LIMIT_BYTES = 64 * 1024;

const unavailable = (why: string) => new TokenTrayError('SUBJECT_TOKEN_UNAVAILABLE', why);

/** Reads the subject token fresh from the file's credential source; it is never stored. */
export async function readSubjectToken(source: CredentialSource, env: Env): Promise<string> {
  if (source.kind === 'file') {
    const text = await readBoundedFile(source.file, SUBJECT_LIMIT_BYTES).catch((err: NodeJS.ErrnoException) => {
      throw unavailable(`Cannot read the subject token file ${source.file}: ${err.code ?? err.message}.`);
    });
    return extract(text, source.format, source.file);
  }
  if (source.kind === 'url') return extract(await fetchSubject(source.url, source.headers), source.format, new URL(source.url).origin);
  return runExecutable(source, env);
}

function extract(text: string, format: SubjectFormat, from: string): string {
  let token: unknown = text;
  if (format.type === 'json') {
    token = parseJsonObject(text, () => unavailable(`The subject token from ${from} is not a JSON object.`))[format.field];
    if (typeof token !== 'string') throw unavailable(`The subject token from ${from} has no "${format.field}" string.`);
  }
  const value = (token as string).trim();
  // Sent as a form field only, but a newline or control character means a wrong source.
  if (!value || /[\u0000-\u001f\u007f]/.test(value)) throw unavailable(`The subject token from ${from} is empty or holds control characters.`);
  return value;
}

async function fetchSubject(url: string, headers: Record<string, string>): Promise<string> {
  const checked = checkedEndpoint(url, 'The subject token URL');
  let res: Response;
  try {
    res = await loggingFetch(checked, { headers, redirect: 'error', signal: AbortSignal.timeout(requestTimeoutSeconds() * 1000) });
  } catch (err) {
    if (err instanceof TokenTrayError) throw err;
    throw unavailable(`Could not fetch the subject token from ${new URL(checked).origin}.`);
  }
  const text = await res.text();
  if (res.status !== 200) throw unavailable(`${new URL(checked).origin} answered HTTP ${res.status} for the subject token.`);
  if (Buffer.byteLength(text) > SUBJECT_LIMIT_BYTES)
    throw unavailable(`${new URL(checked).origin} sent more than ${SUBJECT_LIMIT_BYTES} bytes for the subject token.`);
  return text;
}

/**
 * Google's executable-sourced credentials: only when GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1,
 * with a time-out and bounded output; the program answers
 * {"version":1,"success":true,"token_type":…,"id_token"|"saml_response":…} or success false with code and message.
 */
async function runExecutable(source: Extract<CredentialSource, { kind: 'executable' }>, env: Env): Promise<string> {
  if (env.GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES !== '1') {
    throw new TokenTrayError(
      'FEDERATION_EXECUTABLE_NOT_ALLOWED',
      "This account reads its subject token by running a program, which Google's libraries and TokenTray do only when GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1 is set.",
    );
  }
  const [file, ...args] = source.command.split(/\s+/).filter(Boolean);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      file,
      args,
      {
        timeout: source.timeoutMillis,
        maxBuffer: SUBJECT_LIMIT_BYTES,
        env: { ...env, GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE: '0', ...(source.outputFile ? { GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE: source.outputFile } : {}) },
      },
      (err, out) => {
        if (!err) return resolve(out);
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string };
        const why =
          e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'
            ? `wrote more than ${SUBJECT_LIMIT_BYTES} bytes`
            : e.killed
              ? `did not finish within ${source.timeoutMillis} ms`
              : typeof e.code === 'string'
                ? `could not start (${e.code})`
                : `exited with status ${e.code ?? e.signal}`;
        // The program's own message, if it wrote one in Google's shape.
        const own = messageOf(out);
        reject(new TokenTrayError('FEDERATION_EXECUTABLE_FAILED', `The subject-token program ${pathText(file)} ${why}${own ? `: ${own}` : ''}.`));
      },
    );
  });
  const doc = parseJsonObject(
    stdout,
    () => new TokenTrayError('FEDERATION_EXECUTABLE_FAILED', `The subject-token program ${pathText(file)} did not print a JSON object.`),
  );
  if (doc.success !== true) {
    throw new TokenTrayError('FEDERATION_EXECUTABLE_FAILED', `The subject-token program ${pathText(file)} failed: ${messageOf(stdout) ?? 'no message'}.`);
  }
  if (typeof doc.expiration_time === 'number' && doc.expiration_time * 1000 <= Date.now()) {
    throw new TokenTrayError('FEDERATION_EXECUTABLE_FAILED', `The subject-token program ${pathText(file)} gave an expired token.`);
  }
  const token = doc.id_token ?? doc.saml_response;
  if (typeof token !== 'string')
    throw new TokenTrayError('FEDERATION_EXECUTABLE_FAILED', `The subject-token program ${pathText(file)} printed no id_token or saml_response.`);
  return extract(token, { type: 'text' }, 'the subject-token program');
}

function messageOf(out: string): string | undefined {
  try {
    const d = parseJsonObject(out, () => new Error('not a JSON object'));
    const parts = [d.code, d.message].filter((x): x is string => typeof x === 'string');
    return parts.length ? issuerText(parts.join(': ')) : undefined;
  } catch {
    return undefined;
  }
}
