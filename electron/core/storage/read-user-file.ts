import { readFile } from 'node:fs/promises';
import { TokenTrayError, type ErrorCode } from '../shared/errors.js';

/** Reads a file the user named; a failure becomes `code` with a sentence naming the file and why. */
export async function readUserFile(path: string, code: ErrorCode, what: string, whenMissing = 'no such file'): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? whenMissing : (err as Error).message;
    throw new TokenTrayError(code, `Cannot read ${what} ${path}: ${reason}.`, { cause: err });
  }
}
