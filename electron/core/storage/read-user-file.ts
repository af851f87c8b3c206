import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { TokenTrayError, type ErrorCode } from '../shared/errors.js';

/** Every file TokenTray reads is a few KB; 1 MB is far more than any real one. */
export const USER_FILE_LIMIT_BYTES = 1024 * 1024;

/**
 * Reads a regular file of at most `limit` bytes as UTF-8. A FIFO, device or directory is refused
 * before a byte is read (opened non-blocking, so a FIFO without a writer cannot hang us), and a file
 * that grows past the limit while being read is refused too, so `/dev/urandom` or an endless pipe
 * cannot fill memory. Errors from opening (ENOENT, EACCES…) are passed through unchanged.
 */
export async function readBoundedFile(path: string, limit = USER_FILE_LIMIT_BYTES): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      const kind = info.isFIFO()
        ? 'a pipe (FIFO)'
        : info.isDirectory()
          ? 'a folder'
          : info.isCharacterDevice() || info.isBlockDevice()
            ? 'a device'
            : info.isSocket()
              ? 'a socket'
              : 'not a regular file';
      throw new TokenTrayError('FILE_NOT_REGULAR', `${path} is ${kind}, not a regular file. Name the file itself.`);
    }
    if (info.size > limit) throw tooLarge(path, limit);
    // Read to the end, not to the size fstat gave: the file may grow meanwhile. One buffer of the
    // size fstat gave (plus the byte that shows growth), grown only if the file did.
    let buffer: Buffer = Buffer.allocUnsafe(info.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) buffer = grown(buffer, limit + 1);
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > limit) throw tooLarge(path, limit);
    }
    // Only the bytes read are used: the rest of the unzeroed buffer is never seen.
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

/** A copy of `buffer` with twice the room (at most `most` bytes). */
function grown(buffer: Buffer, most: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.min(Math.max(buffer.length * 2, 64 * 1024), most));
  buffer.copy(bigger);
  return bigger;
}

function tooLarge(path: string, limit: number): TokenTrayError {
  return new TokenTrayError(
    'FILE_TOO_LARGE',
    `${path} is larger than ${Math.round(limit / 1024)} KB, far more than any file TokenTray reads. Check that you named the right file.`,
  );
}

/** Reads a file the user named; a failure becomes `code` with a sentence naming the file and why. */
export async function readUserFile(path: string, code: ErrorCode, what: string, whenMissing = 'no such file'): Promise<string> {
  try {
    return await readBoundedFile(path);
  } catch (err) {
    if (err instanceof TokenTrayError) throw new TokenTrayError(err.code, `Cannot use ${what}: ${err.message}`);
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? whenMissing : (err as Error).message;
    throw new TokenTrayError(code, `Cannot read ${what} ${path}: ${reason}.`, { cause: err });
  }
}
