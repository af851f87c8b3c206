import type { PassphraseSource } from './file-secret-store.js';
import { TokenTrayError } from '../shared/errors.js';

type Env = Readonly<Record<string, string | undefined>>;

export const PASSPHRASE_ENV = 'TOKENTRAY_FILE_PASSPHRASE';

interface Terminal {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

function required(vaultPath: string, why: string): TokenTrayError {
  return new TokenTrayError('VAULT_PASSPHRASE_REQUIRED', `The file vault ${vaultPath} needs its passphrase, ${why}.`, {
    facts: { remedy: 'give-vault-passphrase', path: vaultPath },
  });
}

/**
 * Reads one line from the terminal without echoing it: raw mode, so the passphrase never shows
 * on screen. Ctrl-C ends the process as it would outside raw mode (exit 130; nothing has been
 * written yet), Ctrl-D ends the input.
 */
function askHidden(prompt: string, { input, output }: Terminal): Promise<string> {
  return new Promise((resolve) => {
    let typed = '';
    const wasRaw = input.isRaw;
    const done = (finish: () => void) => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      finish();
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(() => resolve(typed));
        if (ch === '\u0003') {
          return done(() => process.exit(130));
        }
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    input.setRawMode(true); // before the prompt shows, so nothing typed after it is echoed
    output.write(prompt);
    input.resume();
    input.on('data', onData);
  });
}

/** Passphrases every guessing tool tries first (beyond them, length is what counts). */
const COMMON = new Set([
  'password',
  'passphrase',
  'tokentray',
  'letmein',
  'welcome',
  'qwerty',
  'qwertyuiop',
  'iloveyou',
  'admin',
  'secret',
  'changeme',
  'trustno1',
  'monkey',
  'dragon',
  'abc123',
  'correcthorsebatterystaple',
]);
const MIN_PASSPHRASE_LENGTH = 12;

/**
 * Why a new passphrase is easy to guess, or undefined: shorter than 12 characters, one character
 * repeated, a run of digits or keys, or a well-known one (with digits or punctuation around it).
 */
export function passphraseWeakness(passphrase: string): string | undefined {
  const core = passphrase.toLowerCase().replace(/^[\d\W_]+|[\d\W_]+$/g, '');
  if (COMMON.has(core) || COMMON.has(passphrase.toLowerCase().replace(/[\W_]/g, ''))) return 'it is one of the most common passphrases';
  if (/^(.)\1*$/su.test(passphrase) || /^\d+$/.test(passphrase)) return 'it is one character repeated, or digits only';
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) return `it is shorter than ${MIN_PASSPHRASE_LENGTH} characters`;
  return undefined;
}

/** A weak new passphrase typed at the terminal is kept only when the user says so. */
async function confirmIfWeak(passphrase: string, tty: Terminal): Promise<void> {
  const weakness = passphraseWeakness(passphrase);
  if (!weakness) return;
  tty.output.write(`Warning: this passphrase is easy to guess: ${weakness}. Anyone with a copy of the vault file can try passphrases offline.\n`);
  const answer = await askHidden('Use this passphrase anyway? (y/N): ', tty);
  if (!/^y(es)?$/i.test(answer.trim()))
    throw new TokenTrayError('VAULT_PASSPHRASE_REQUIRED', 'The weak passphrase was not confirmed. Nothing was saved; run the command again with a longer one.');
}

/**
 * The passphrase from TOKENTRAY_FILE_PASSPHRASE, else asked on the terminal (twice for a new
 * vault), else a coded error that says how to give it. Never an empty one.
 */
export function vaultPassphrase(env: Env, terminal: Partial<Terminal> = { input: process.stdin, output: process.stderr }): PassphraseSource {
  const fromEnv = env[PASSPHRASE_ENV];
  const tty = terminal.input?.isTTY && terminal.output?.isTTY ? (terminal as Terminal) : undefined;
  const ask = async (vaultPath: string, prompt: string): Promise<string> => {
    if (fromEnv !== undefined) {
      if (fromEnv === '') throw required(vaultPath, `and ${PASSPHRASE_ENV} is empty`);
      return fromEnv;
    }
    if (!tty) throw required(vaultPath, 'and there is no terminal to ask it on');
    const answer = await askHidden(prompt, tty);
    if (answer === '') throw required(vaultPath, 'and none was entered');
    return answer;
  };
  return {
    existing: (vaultPath) => ask(vaultPath, `Passphrase of the TokenTray file vault ${vaultPath}: `),
    async create(vaultPath) {
      const first = await ask(vaultPath, `New passphrase for the TokenTray file vault ${vaultPath}: `);
      if (fromEnv !== undefined) {
        // Nobody to confirm with: the warning alone (the output is stderr, never stdout).
        const weakness = passphraseWeakness(first);
        if (weakness) terminal.output?.write(`Warning: the new file-vault passphrase in ${PASSPHRASE_ENV} is weak: ${weakness}.\n`);
        return first;
      }
      const second = await ask(vaultPath, 'The same passphrase again: ');
      if (first !== second) throw new TokenTrayError('VAULT_PASSPHRASE_REQUIRED', 'The two passphrases differ. Nothing was saved; run the command again.');
      await confirmIfWeak(first, tty!);
      return first;
    },
  };
}
