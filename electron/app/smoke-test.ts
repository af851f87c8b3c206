import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UpdateState } from './update-policy.js';

/**
 * `--smoke-test`: the app starts against a throw-away home and keychain service, loads its window
 * hidden, and checks what only the real Electron can show: the preload bridge answers a real IPC
 * round trip, the renderer logged no error (CSP violations and uncaught exceptions are logged as
 * errors), and the tray exists. Then it exits 0, or 1 with the reason on stderr. CI runs it on
 * every OS (.github/workflows/ci.yml). This file is the logic; electron/main/smoke.ts the glue.
 */
export const SMOKE_TEST_SWITCH = '--smoke-test';

export function isSmokeTest(argv: readonly string[]): boolean {
  return argv.includes(SMOKE_TEST_SWITCH);
}

export interface SmokeEnvironment {
  home: string;
  keychainService: string;
  /** Removes the throw-away home (the smoke test adds no account, so the keychain holds nothing). */
  cleanup(): void;
}

/** A fresh TOKENTRAY_HOME and keychain service name, so a smoke test never sees a user's accounts. */
export function createSmokeEnvironment(env: NodeJS.ProcessEnv = process.env): SmokeEnvironment {
  const home = mkdtempSync(join(tmpdir(), 'tokentray-smoke-'));
  const keychainService = `tokentray-smoke-${randomBytes(6).toString('hex')}`;
  env.TOKENTRAY_HOME = home;
  env.TOKENTRAY_KEYCHAIN_SERVICE = keychainService;
  return { home, keychainService, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** What the smoke test asks of the running app (the glue answers from Electron). */
export interface SmokeProbe {
  /** Resolves once the window's page has loaded; rejects when loading, the preload or the renderer failed. */
  loaded(): Promise<void>;
  /** Runs `window.tokentray.listAccounts()` in the page: renderer → preload → ipcMain → back. */
  listAccountsInRenderer(): Promise<unknown>;
  /** Error-level console messages and uncaught errors of the renderer so far. */
  rendererErrors(): readonly string[];
  windowVisible(): boolean;
  trayExists(): boolean;
}

export type SmokeResult = { ok: true; summary: string } | { ok: false; reason: string };

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * With TOKENTRAY_SMOKE_UPDATE_FEED, electron-updater reads a loopback feed (CI serves one offering an
 * older version, test/support/smoke-update-feed.ts): the check must end in refusing the downgrade.
 */
export const SMOKE_UPDATE_FEED_VARIABLE = 'TOKENTRAY_SMOKE_UPDATE_FEED';

function updateProblem(state: UpdateState): string | undefined {
  if (state.kind === 'refused' && state.reason === 'downgrade') return undefined;
  return `the update check against the loopback feed ended in ${JSON.stringify(state)}, not in refusing its older version`;
}

export async function runSmokeTest(probe: SmokeProbe, options: { timeoutMs?: number; updateChecked?: () => Promise<UpdateState> } = {}): Promise<SmokeResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    await withTimeout(probe.loaded(), timeoutMs, 'loading the window');
  } catch (err) {
    return { ok: false, reason: `the window did not load: ${message(err)}` };
  }
  let answer: unknown;
  try {
    answer = await withTimeout(probe.listAccountsInRenderer(), timeoutMs, 'listAccounts through the preload bridge');
  } catch (err) {
    return { ok: false, reason: `listAccounts through the preload bridge failed: ${message(err)}` };
  }
  const result = answer as { ok?: unknown; value?: unknown } | null;
  if (result?.ok !== true || !Array.isArray(result.value)) {
    return { ok: false, reason: `listAccounts through the preload bridge answered ${JSON.stringify(answer) ?? String(answer)}, not a list of accounts` };
  }
  if (result.value.length !== 0) return { ok: false, reason: `the throw-away home holds ${result.value.length} account(s): the smoke test is not isolated` };
  const errors = probe.rendererErrors();
  if (errors.length > 0) return { ok: false, reason: `the renderer reported ${errors.length} error(s): ${errors.slice(0, 3).join(' | ')}` };
  if (probe.windowVisible()) return { ok: false, reason: 'the window was shown; the smoke test loads it hidden' };
  if (!probe.trayExists()) return { ok: false, reason: 'there is no tray icon' };
  let updates = '';
  if (options.updateChecked) {
    let problem: string | undefined;
    try {
      problem = updateProblem(await withTimeout(options.updateChecked(), timeoutMs, 'the update check'));
    } catch (err) {
      problem = `the update check failed: ${message(err)}`;
    }
    if (problem) return { ok: false, reason: problem };
    updates = ', the update feed was read and its older version refused';
  }
  return { ok: true, summary: `window loaded hidden, listAccounts answered through the preload bridge, no renderer errors, tray present${updates}` };
}
