#!/usr/bin/env node
/**
 * docker-credential-tokentray (the helper itself is docker-credential-main.ts). `get` is first put
 * to a running agent, before the helper proper and its libraries are loaded.
 * No top-level await: the shipped entry is bundled as CommonJS (see build/bundle-cli.mjs).
 */
import { readSync } from 'node:fs';
import { askAgent } from '../core/agent/client.js';
import { agentFailure, isPrintableToken } from '../core/agent/protocol.js';
import { writeStdout } from './stdout.js';

/** io.ts's STDIN_LIMIT (not imported: this entry loads nothing it can avoid); the helper proper refuses more. */
const LIMIT = 64 * 1024;

/** docker's stdin, read synchronously (no stream machinery); `complete` once at its end, false if it would block or is too long. */
function readInput(): { bytes: Buffer; complete: boolean } {
  const chunks: Buffer[] = [];
  let size = 0;
  const buf = Buffer.alloc(16 * 1024);
  try {
    for (;;) {
      const n = readSync(0, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      size += n;
      if (size > LIMIT) return { bytes: Buffer.concat(chunks), complete: false };
    }
  } catch {
    return { bytes: Buffer.concat(chunks), complete: false };
  }
  return { bytes: Buffer.concat(chunks), complete: true };
}

interface FastAnswer {
  text?: string;
  input?: { bytes: Buffer; complete: boolean };
  /** The agent answered with a failure of its own: the helper proper asks it again and shows that failure as its own. */
  askAgain?: boolean;
}

async function fromAgent(): Promise<FastAnswer> {
  if (process.argv[2] !== 'get' || process.argv.length !== 3) return {};
  const input = readInput();
  const server = input.bytes.toString('utf8').trim();
  // Only a plain name is echoed from here; anything the helper proper would escape goes to it.
  if (!input.complete || server.length > 2048 || !/^[\x21-\x7e]+$/.test(server)) return { input };
  const env = process.env;
  const answer = await askAgent(env, { op: 'docker-credential', server, ...(env.TOKENTRAY_ACCOUNT ? { account: env.TOKENTRAY_ACCOUNT } : {}) });
  if (answer && agentFailure(answer)) return { input, askAgain: true };
  if (!answer?.ok || !('token' in answer) || !isPrintableToken(answer.token) || !isPrintableToken(answer.username)) return { input };
  return { text: `${JSON.stringify({ ServerURL: server, Username: answer.username, Secret: answer.token })}\n` };
}

void fromAgent()
  .catch((): FastAnswer => ({}))
  .then(async ({ text, input, askAgain }) => {
    if (text !== undefined) {
      // Printed: the process ends now, as tokentray.ts does.
      if (writeStdout(text)) process.exit();
      return;
    }
    const { runHelper } = await import('./docker-credential-main.js');
    runHelper(process.argv.slice(2), input, askAgain === true);
  });
