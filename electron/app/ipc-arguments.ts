/**
 * The small checks the IPC contract's validators are made of. The renderer is our code, but a
 * compromised page must not be able to pass anything a handler did not expect. Pure and free of
 * Node: the contract (and so these) is bundled into the sandboxed preload and read by the renderer's
 * type-check.
 */
import type { Settings } from '../core/shared/models.js';

export interface SignInRequest {
  /** Scopes as typed (comma or space separated items; Google short names accepted). */
  scopes?: string[];
  loginHint?: string;
  /** Text of a client_secret_*.json the user picked; else clientId/clientSecret; else remembered. */
  clientJson?: string;
  clientId?: string;
  clientSecret?: string;
  issuer?: string;
  flavor?: 'google' | 'oidc';
  /** For "sign in again": the account whose issuer and client to reuse. */
  accountId?: string;
}

/** Which token a copy takes: the account's own, its impersonation target's, or an ID token for an audience. */
export interface CopyOptions {
  impersonated?: boolean;
  audience?: string;
}

/** Starts (for the account, else the default one) or stops the metadata-server emulator. */
export interface MetadataRequest {
  enabled: boolean;
  accountId?: string;
}

/** Why an argument was refused; dispatch turns it into INVALID_ARGUMENT naming the channel. */
export class ArgumentError extends Error {
  override readonly name = 'ArgumentError';
}

const MAX_STRING = 2048;
/** A client file or service-account key, as text. */
export const MAX_FILE_TEXT = 64 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Exactly `min` (up to `max`) arguments; returns them for destructuring. */
export function count(args: readonly unknown[], min: number, max = min): readonly unknown[] {
  if (args.length < min || args.length > max) {
    throw new ArgumentError(min === max ? `expected ${min} argument(s), got ${args.length}` : `expected ${min} to ${max} arguments, got ${args.length}`);
  }
  return args;
}

export function text(value: unknown, what: string, max = MAX_STRING): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw new ArgumentError(`${what} must be a non-empty string of at most ${max} characters`);
  return value;
}

export const accountId = (value: unknown): string => text(value, 'the account id', 200);

export function oneOf<T extends string>(value: unknown, what: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new ArgumentError(`${what} must be one of ${allowed.join(', ')}`);
  return value as T;
}

export function list<T>(value: unknown, what: string, max: number, item: (v: unknown) => T): T[] {
  if (!Array.isArray(value) || value.length > max) throw new ArgumentError(`${what} must be an array of at most ${max} items`);
  return value.map(item);
}

/** An object whose every present field has a checker; unknown fields are refused. */
function fields<T extends object>(value: unknown, what: string, checkers: { [K in keyof T]-?: (v: unknown) => T[K] }): T {
  if (!isRecord(value)) throw new ArgumentError(`${what} must be an object`);
  const out: Partial<T> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (!Object.hasOwn(checkers, key)) throw new ArgumentError(`${what}: unknown field "${key.slice(0, 40)}"`);
    out[key as keyof T] = checkers[key as keyof T](v);
  }
  return out as T;
}

function boolean(what: string): (v: unknown) => boolean {
  return (v) => {
    if (typeof v !== 'boolean') throw new ArgumentError(`${what} must be true or false`);
    return v;
  };
}

export const signInRequest = (value: unknown): SignInRequest =>
  fields<SignInRequest>(value, 'the request', {
    scopes: (v) => list(v, 'scopes', 50, (s) => text(s, 'each scope', 512)),
    loginHint: (v) => text(v, 'loginHint'),
    clientJson: (v) => text(v, 'the client file', MAX_FILE_TEXT),
    clientId: (v) => text(v, 'clientId'),
    clientSecret: (v) => text(v, 'clientSecret'),
    issuer: (v) => text(v, 'issuer'),
    flavor: (v) => oneOf(v, 'flavor', ['google', 'oidc'] as const),
    accountId,
  });

export const copyOptions = (value: unknown): CopyOptions =>
  fields<CopyOptions>(value, 'copy options', {
    impersonated: boolean('impersonated'),
    audience: (v) => text(v, 'the audience', 1024),
  });

export function metadataRequest(value: unknown): MetadataRequest {
  const request = fields<Partial<MetadataRequest>>(value, 'the request', { enabled: boolean('enabled'), accountId });
  if (request.enabled === undefined) throw new ArgumentError('the request must be { enabled: boolean, accountId?: string }');
  return request as MetadataRequest;
}

/**
 * The shape of a settings change: known keys with the right types. The settings store checks the
 * values themselves (ranges, shortcut syntax) and answers SETTINGS_INVALID. A new setting that is
 * missing here is a compile error.
 */
export const settingsPatch = (value: unknown): Partial<Settings> =>
  fields<Partial<Settings>>(value, 'settings', {
    clipboardClearSeconds: (v) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError('clipboardClearSeconds must be a number');
      return v;
    },
    globalShortcut: (v) => {
      if (typeof v !== 'string' || v.length > 200) throw new ArgumentError('globalShortcut must be a string of at most 200 characters');
      return v;
    },
    checkForUpdates: (v) => {
      if (typeof v !== 'boolean') throw new ArgumentError('checkForUpdates must be true or false');
      return v;
    },
    startAtLogin: (v) => {
      if (typeof v !== 'boolean') throw new ArgumentError('startAtLogin must be true or false');
      return v;
    },
  });
