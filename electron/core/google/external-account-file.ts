import { TokenTrayError } from '../shared/errors.js';
import { assertNoControlCharacters, displaySafe } from '../shared/sanitize.js';
import { checkedEndpoint } from './google-http.js';
import { parseJsonObject } from '../shared/json-object.js';

/**
 * The two federation files of Google's libraries: `external_account_authorized_user` (workforce:
 * a person signed in at the company's identity provider, with a refresh token) and
 * `external_account` (workload: a subject token read from a file, a URL or a program, exchanged
 * at Google's STS). Parsed here, once at import and again at every use: every URL in them must be
 * https, or http on loopback.
 */
export type FederationFile = WorkforceFile | WorkloadFile;

export interface WorkforceFile {
  type: 'external_account_authorized_user';
  audience: string;
  refresh_token: string;
  token_url: string;
  token_info_url?: string;
  revoke_url?: string;
  client_id: string;
  client_secret: string;
  quota_project_id?: string;
  universe_domain?: string;
}

export type CredentialSource =
  | { kind: 'file'; file: string; format: SubjectFormat }
  | { kind: 'url'; url: string; headers: Record<string, string>; format: SubjectFormat }
  | { kind: 'executable'; command: string; timeoutMillis: number; outputFile?: string };

export type SubjectFormat = { type: 'text' } | { type: 'json'; field: string };

export interface WorkloadFile {
  type: 'external_account';
  audience: string;
  subject_token_type: string;
  token_url: string;
  service_account_impersonation_url?: string;
  /** service_account_impersonation.token_lifetime_seconds */
  lifetimeSeconds?: number;
  client_id?: string;
  client_secret?: string;
  quota_project_id?: string;
  universe_domain?: string;
  source: CredentialSource;
  /** The file as read, kept with the account (it names the source; it holds no subject token). */
  raw: Record<string, unknown>;
}

export const FEDERATION_TYPES = ['external_account_authorized_user', 'external_account'] as const;

const DEFAULT_EXECUTABLE_TIMEOUT_MS = 30_000;

function invalid(source: string, why: string): TokenTrayError {
  return new TokenTrayError('ADC_FILE_INVALID', `${source}: ${why}.`);
}

function reader(d: Record<string, unknown>, source: string) {
  const str = (field: string, required: boolean): string | undefined => {
    const v = d[field];
    if (v === undefined || v === null || v === '') {
      if (required) throw invalid(source, `"${field}" is missing or empty`);
      return undefined;
    }
    if (typeof v !== 'string') throw invalid(source, `"${field}" is not a string`);
    assertNoControlCharacters(v, 'ADC_FILE_INVALID', `${source}: "${field}"`);
    return v;
  };
  const url = (field: string, required: boolean): string | undefined => {
    const v = str(field, required);
    return v === undefined ? undefined : checkedEndpoint(v, `${source}: "${field}"`);
  };
  return { str, url };
}

/** Parses either federation file; `source` names it in errors. */
export function parseFederationFile(text: string, source: string): FederationFile {
  const d = parseJsonObject(text, (problem, why) => invalid(source, problem === 'not-json' ? why : 'expected a JSON object'));
  if (d.type === 'external_account_authorized_user') return parseWorkforce(d, source);
  if (d.type === 'external_account') return parseWorkload(d, source);
  throw invalid(source, `expected "type" to be one of ${FEDERATION_TYPES.join(', ')}`);
}

function parseWorkforce(d: Record<string, unknown>, source: string): WorkforceFile {
  const { str, url } = reader(d, source);
  const optional = (k: string, v: string | undefined) => (v === undefined ? {} : { [k]: v });
  return {
    type: 'external_account_authorized_user',
    audience: str('audience', true)!,
    refresh_token: str('refresh_token', true)!,
    token_url: url('token_url', true)!,
    ...optional('token_info_url', url('token_info_url', false)),
    ...optional('revoke_url', url('revoke_url', false)),
    client_id: str('client_id', true)!,
    client_secret: str('client_secret', true)!,
    ...optional('quota_project_id', str('quota_project_id', false)),
    ...optional('universe_domain', str('universe_domain', false)),
  };
}

function parseWorkload(d: Record<string, unknown>, source: string): WorkloadFile {
  const { str, url } = reader(d, source);
  const cs = d.credential_source;
  if (typeof cs !== 'object' || cs === null || Array.isArray(cs)) throw invalid(source, '"credential_source" is missing');
  const c = cs as Record<string, unknown>;
  if (c.environment_id !== undefined) {
    throw new TokenTrayError(
      'FEDERATION_SOURCE_UNSUPPORTED',
      `${source} reads its subject token from AWS (environment_id "${displaySafe(String(c.environment_id).slice(0, 40))}"), which TokenTray does not support: only file, url and executable credential sources are.`,
    );
  }
  const impersonation = d.service_account_impersonation;
  let lifetimeSeconds: number | undefined;
  if (typeof impersonation === 'object' && impersonation !== null) {
    const l = (impersonation as Record<string, unknown>).token_lifetime_seconds;
    if (l !== undefined) {
      if (typeof l !== 'number' || !Number.isInteger(l) || l < 600 || l > 43_200)
        throw invalid(source, '"service_account_impersonation.token_lifetime_seconds" must be a whole number from 600 to 43200');
      lifetimeSeconds = l;
    }
  }
  const optional = (k: string, v: string | undefined) => (v === undefined ? {} : { [k]: v });
  return {
    type: 'external_account',
    audience: str('audience', true)!,
    subject_token_type: str('subject_token_type', true)!,
    token_url: url('token_url', true)!,
    ...optional('service_account_impersonation_url', url('service_account_impersonation_url', false)),
    ...(lifetimeSeconds ? { lifetimeSeconds } : {}),
    ...optional('client_id', str('client_id', false)),
    ...optional('client_secret', str('client_secret', false)),
    ...optional('quota_project_id', str('quota_project_id', false)),
    ...optional('universe_domain', str('universe_domain', false)),
    source: parseSource(c, source),
    raw: d,
  };
}

function parseSource(c: Record<string, unknown>, source: string): CredentialSource {
  const kinds = ['file', 'url', 'executable'].filter((k) => c[k] !== undefined);
  if (kinds.length !== 1) throw invalid(source, '"credential_source" must name exactly one of file, url, executable');
  const { str, url } = reader(c, `${source} credential_source`);
  if (c.executable !== undefined) {
    const e = c.executable;
    if (typeof e !== 'object' || e === null) throw invalid(source, '"credential_source.executable" is not an object');
    const x = reader(e as Record<string, unknown>, `${source} credential_source.executable`);
    const timeout = (e as Record<string, unknown>).timeout_millis;
    if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 5_000 || timeout > 120_000)) {
      throw invalid(source, '"credential_source.executable.timeout_millis" must be a whole number from 5000 to 120000');
    }
    const outputFile = x.str('output_file', false);
    return {
      kind: 'executable',
      command: x.str('command', true)!,
      timeoutMillis: timeout ?? DEFAULT_EXECUTABLE_TIMEOUT_MS,
      ...(outputFile ? { outputFile } : {}),
    };
  }
  const format = parseFormat(c.format, source);
  if (c.file !== undefined) return { kind: 'file', file: str('file', true)!, format };
  const headers: Record<string, string> = {};
  if (c.headers !== undefined) {
    if (typeof c.headers !== 'object' || c.headers === null || Array.isArray(c.headers)) throw invalid(source, '"credential_source.headers" is not an object');
    for (const [k, v] of Object.entries(c.headers)) {
      if (typeof v !== 'string') throw invalid(source, `"credential_source.headers.${displaySafe(k.slice(0, 40))}" is not a string`);
      assertNoControlCharacters(`${k}${v}`, 'ADC_FILE_INVALID', `${source}: a credential_source header`);
      headers[k] = v;
    }
  }
  return { kind: 'url', url: url('url', true)!, headers, format };
}

function parseFormat(f: unknown, source: string): SubjectFormat {
  if (f === undefined) return { type: 'text' };
  if (typeof f !== 'object' || f === null) throw invalid(source, '"credential_source.format" is not an object');
  const r = f as Record<string, unknown>;
  if (r.type === undefined || r.type === 'text') return { type: 'text' };
  if (r.type !== 'json') throw invalid(source, '"credential_source.format.type" must be "text" or "json"');
  if (typeof r.subject_token_field_name !== 'string' || !r.subject_token_field_name)
    throw invalid(source, '"credential_source.format.subject_token_field_name" is missing');
  return { type: 'json', field: r.subject_token_field_name };
}

/** Workforce and workload pool audiences: "//iam.googleapis.com/…/workforcePools/P/providers/Q". */
export function poolOf(audience: string): string {
  const m = /\/(?:workforcePools|workloadIdentityPools)\/([^/]+)\/providers\/([^/]+)/.exec(audience);
  return m ? `${m[1]}/${m[2]}` : audience;
}

/**
 * The service account of an impersonation URL
 * (…/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken) and the IAM Credentials base before it.
 */
export function impersonationTarget(url: string, source: string): { base: string; email: string } {
  const m = /^(.*)\/v1\/projects\/[^/]+\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(url);
  if (!m) throw invalid(source, '"service_account_impersonation_url" is not an IAM Credentials generateAccessToken URL');
  return { base: m[1], email: decodeURIComponent(m[2]) };
}
