import { TokenTrayError } from '../core/shared/errors.js';
import type { ChannelArgs, CopyOptions, InvokeChannel, SignInRequest } from './ipc-contract.js';
import { GUIDE_PAGES, INVOKE_CHANNELS, type GuidePage } from './ipc-contract.js';
import { validateSettings } from '../core/storage/settings-store.js';
import { originOf } from './window-policy.js';

const MAX_STRING = 2048;
const MAX_CLIENT_JSON = 64 * 1024;

function invalid(channel: string, why: string): TokenTrayError {
  return new TokenTrayError('INVALID_ARGUMENT', `${channel}: ${why}`);
}

function str(channel: string, value: unknown, what: string, max = MAX_STRING): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw invalid(channel, `${what} must be a non-empty string of at most ${max} characters`);
  return value;
}

function oneOf<T extends string>(channel: string, value: unknown, what: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw invalid(channel, `${what} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function signInRequest(channel: string, value: unknown): SignInRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(channel, 'the request must be an object');
  const input = value as Record<string, unknown>;
  const out: SignInRequest = {};
  for (const [key, v] of Object.entries(input)) {
    if (v === undefined) continue;
    switch (key) {
      case 'scopes':
        if (!Array.isArray(v) || v.length > 50) throw invalid(channel, 'scopes must be an array of at most 50 strings');
        out.scopes = v.map((s) => str(channel, s, 'each scope', 512));
        break;
      case 'loginHint':
      case 'clientId':
      case 'clientSecret':
      case 'issuer':
      case 'accountId':
        out[key] = str(channel, v, key);
        break;
      case 'clientJson':
        out.clientJson = str(channel, v, 'the client file', MAX_CLIENT_JSON);
        break;
      case 'flavor':
        out.flavor = oneOf(channel, v, 'flavor', ['google', 'oidc'] as const);
        break;
      default:
        throw invalid(channel, `unknown field "${key.slice(0, 40)}"`);
    }
  }
  return out;
}

function copyOptions(channel: string, value: unknown): CopyOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(channel, 'copy options must be an object');
  const out: CopyOptions = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (key === 'impersonated' && typeof v === 'boolean') out.impersonated = v;
    else if (key === 'audience') out.audience = str(channel, v, 'the audience', 1024);
    else throw invalid(channel, `unknown or malformed copy option "${key.slice(0, 40)}"`);
  }
  return out;
}

/**
 * Checks what the renderer sent before any handler sees it. The renderer is our code, but a
 * compromised page must not be able to pass anything a handler did not expect.
 */
export function validateArgs<C extends InvokeChannel>(channel: C, args: unknown): ChannelArgs<C> {
  if (!INVOKE_CHANNELS.includes(channel)) throw invalid(String(channel).slice(0, 40), 'unknown channel');
  if (!Array.isArray(args)) throw invalid(channel, 'arguments must be an array');
  const expectCount = (n: number) => {
    if (args.length !== n) throw invalid(channel, `expected ${n} argument(s), got ${args.length}`);
  };
  switch (channel) {
    case 'accounts:list':
    case 'accounts:cancel-sign-in':
    case 'metadata:get':
    case 'settings:get':
    case 'accounts:import-adc':
    case 'metadata:copy-exports':
      expectCount(0);
      return [] as unknown as ChannelArgs<C>;
    case 'accounts:remove':
    case 'accounts:set-default':
    case 'tokens:get':
    case 'tokens:refresh':
    case 'tokens:info':
      expectCount(1);
      return [str(channel, args[0], 'the account id', 200)] as ChannelArgs<C>;
    case 'accounts:import-service-account':
      expectCount(1);
      return [str(channel, args[0], 'the key file', MAX_CLIENT_JSON)] as ChannelArgs<C>;
    case 'accounts:set-impersonation': {
      expectCount(2);
      const chain = args[1];
      if (!Array.isArray(chain) || chain.length > 10) throw invalid(channel, 'the chain must be an array of at most 10 service-account emails');
      return [str(channel, args[0], 'the account id', 200), chain.map((e) => str(channel, e, 'each service account', 320))] as ChannelArgs<C>;
    }
    case 'accounts:sign-in':
      expectCount(1);
      return [signInRequest(channel, args[0])] as ChannelArgs<C>;
    case 'tokens:copy': {
      if (args.length !== 3 && args.length !== 4) throw invalid(channel, `expected 3 or 4 arguments, got ${args.length}`);
      const base = [
        str(channel, args[0], 'the account id', 200),
        oneOf(channel, args[1], 'the token kind', ['access', 'id'] as const),
        oneOf(channel, args[2], 'the form', ['raw', 'header', 'curl'] as const),
      ];
      return (args.length === 4 && args[3] !== undefined ? [...base, copyOptions(channel, args[3])] : base) as ChannelArgs<C>;
    }
    case 'metadata:set': {
      expectCount(1);
      const req = args[0] as Record<string, unknown> | null;
      if (typeof req !== 'object' || req === null || Array.isArray(req) || typeof req.enabled !== 'boolean') throw invalid(channel, 'the request must be { enabled: boolean, accountId?: string }');
      for (const key of Object.keys(req)) if (key !== 'enabled' && key !== 'accountId') throw invalid(channel, `unknown field "${key.slice(0, 40)}"`);
      return [{ enabled: req.enabled, ...(req.accountId !== undefined ? { accountId: str(channel, req.accountId, 'the account id', 200) } : {}) }] as ChannelArgs<C>;
    }
    case 'guide:open':
      expectCount(1);
      return [oneOf(channel, args[0], 'the page', Object.keys(GUIDE_PAGES) as GuidePage[])] as ChannelArgs<C>;
    case 'settings:set':
      expectCount(1);
      try {
        return [validateSettings(args[0])] as ChannelArgs<C>;
      } catch (err) {
        throw invalid(channel, (err as Error).message);
      }
  }
  throw invalid(channel, 'unknown channel');
}

/**
 * An IPC message is ours only if it comes from our window's main frame showing our own content.
 * `frameUrl` is the sender frame's URL; `appOrigin` where the app is served from.
 */
export function isTrustedSender(sender: { isOurWindow: boolean; isMainFrame: boolean; frameUrl: string | undefined }, appOrigin: string): boolean {
  if (!sender.isOurWindow || !sender.isMainFrame || !sender.frameUrl) return false;
  return originOf(sender.frameUrl) === appOrigin;
}
