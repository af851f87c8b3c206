/** A pasted address is a few hundred bytes; a longer line is not one and is not kept. */
const MAX_LINE = 16 * 1024;

/** What the user is told when the sign-in is shown as an address (no local browser, or asked). */
export function pasteBackInstructions(authorizationUrl: string, redirectUri: string): string {
  return (
    'To sign in, open this address in a browser on any computer:\n' +
    `${authorizationUrl}\n` +
    `When the browser ends on a page that cannot load (its address starts with ${redirectUri}?state=…),\n` +
    'copy that address from the address bar, paste it here and press Enter.\n'
  );
}

/** Said once when standard input ends before the sign-in does: a user (or script) knows pasting is over. */
export const INPUT_ENDED_NOTICE = 'Standard input ended, so nothing more can be pasted here: waiting for the browser only.\n';

type LineInput = NodeJS.ReadableStream & { isTTY?: boolean; destroy?: () => void; readableEnded?: boolean; destroyed?: boolean };

/**
 * Delivers the lines of `input` (standard input, a terminal or not) to `onLine` until the returned
 * function is called; a last line without a line break counts when the input ends. The end of input
 * is not an answer: the sign-in just keeps waiting, and `onEnd` is told once (also when the input
 * had ended or was closed before, e.g. by reading a secret from it).
 */
export function readLines(onLine: (line: string) => void, input: LineInput = process.stdin, onEnd?: () => void): () => void {
  let buffer = '';
  let stopped = false;
  let ended = false;
  const onData = (chunk: Buffer | string) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0 && !stopped; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, Math.min(nl, MAX_LINE)).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      onLine(line);
    }
    // Keep only the start of an endless line: it is checked (and refused) when it ends.
    if (buffer.length > MAX_LINE) buffer = buffer.slice(0, MAX_LINE);
  };
  const onError = () => undefined;
  // 'close' without 'end': the input failed or was destroyed; nothing more can come either way.
  const onInputEnd = () => {
    if (ended || stopped) return;
    ended = true;
    if (buffer !== '') onData('\n');
    // After the sign-in took that last line (and stopped reading), there is nothing to tell.
    setImmediate(() => stopped || onEnd?.());
  };
  input.on('data', onData);
  input.on('error', onError);
  input.on('end', onInputEnd);
  input.on('close', onInputEnd);
  if (input.readableEnded || input.destroyed) process.nextTick(onInputEnd);
  // A 'data' listener alone does not restart a stream paused before (by a passphrase prompt).
  else input.resume();
  return () => {
    if (stopped) return;
    stopped = true;
    input.off('data', onData);
    input.off('error', onError);
    input.off('end', onInputEnd);
    input.off('close', onInputEnd);
    // A paused terminal no longer holds the process; a pipe is closed outright.
    input.pause();
    if (!input.isTTY) input.destroy?.();
  };
}
