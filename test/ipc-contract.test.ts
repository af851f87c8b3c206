import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Handlers } from '../electron/app/handlers/index.js';
import { API_CHANNELS, CONTRACT, EVENTS, INVOKE_CHANNELS, type ChannelArgs, type TokenTrayApi } from '../electron/app/ipc-contract.js';
import { validateArgs } from '../electron/app/ipc-dispatch.js';

// Compile-time checks: the build fails if the compiler stops naming what is missing.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(): T => true as T;
expectType<Equal<Parameters<TokenTrayApi['copy']>, ChannelArgs<'tokens:copy'>>>();
expectType<Equal<Parameters<TokenTrayApi['setImpersonation']>, [accountId: string, chain: string[]]>>();
expectType<Equal<keyof TokenTrayApi, keyof typeof CONTRACT | keyof typeof EVENTS>>();
// @ts-expect-error a handler set without 'settings:set' is refused, naming the channel
export const missingOne: Handlers = { ...({} as Omit<Handlers, 'settings:set'>) };
export const wrongArgs: Pick<Handlers, 'tokens:get'> = {
  // @ts-expect-error a handler with the wrong argument types is refused
  'tokens:get': async (id: number) => ({ access: { token: String(id), expiresAt: 0 }, id: null, impersonated: null }),
};

describe('the IPC contract', () => {
  it('gives every call its own channel, and derives the channel lists from one table', () => {
    assert.equal(new Set(INVOKE_CHANNELS).size, INVOKE_CHANNELS.length, 'no channel twice');
    assert.deepEqual(Object.keys(API_CHANNELS), Object.keys(CONTRACT));
    assert.deepEqual(Object.values(API_CHANNELS), [...INVOKE_CHANNELS]);
    for (const event of Object.values(EVENTS)) assert.ok(!INVOKE_CHANNELS.includes(event as never), `${event} is an event, not a call`);
  });

  it('checks arguments next to each entry, and refuses prototype names as channels', () => {
    assert.deepEqual(validateArgs('tokens:copy', ['id', 'access', 'raw']), ['id', 'access', 'raw']);
    assert.deepEqual(validateArgs('tokens:copy', ['id', 'id', 'curl', { audience: 'https://a.example' }]), [
      'id',
      'id',
      'curl',
      { audience: 'https://a.example' },
    ]);
    assert.deepEqual(validateArgs('accounts:sign-in', [{ loginHint: 'a@b.c', scopes: undefined }]), [{ loginHint: 'a@b.c' }], 'undefined fields are dropped');
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'toString']) {
      assert.throws(() => validateArgs(name, []), { code: 'INVALID_ARGUMENT', message: `${name}: unknown channel` });
    }
    assert.throws(() => validateArgs('accounts:sign-in', [{ ['__proto__']: 1 }]), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => validateArgs('metadata:set', [{ accountId: 'x' }]), { code: 'INVALID_ARGUMENT', message: /enabled: boolean/ });
  });
});
