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

/**
 * Delivers the lines of `input` (standard input, a terminal or not) to `onLine` until the returned
 * function is called. The end of input is not an answer: the sign-in just keeps waiting.
 */
type LineInput = NodeJS.ReadableStream & { isTTY?: boolean; destroy?: () => void };

export function readLines(onLine: (line: string) => void, input: LineInput = process.stdin): () => void {
  let buffer = '';
  let stopped = false;
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
  input.on('data', onData);
  input.on('error', onError);
  // A 'data' listener alone does not restart a stream paused before (by a passphrase prompt).
  input.resume();
  return () => {
    if (stopped) return;
    stopped = true;
    input.off('data', onData);
    input.off('error', onError);
    // A paused terminal no longer holds the process; a pipe is closed outright.
    input.pause();
    if (!input.isTTY) input.destroy?.();
  };
}
