import type { Result, TokenTrayApi } from '../../electron/app/ipc-contract.js';

declare global {
  interface Window {
    tokentray: TokenTrayApi;
  }
}

export const api = (): TokenTrayApi => window.tokentray;

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Unwraps a Result; a failure becomes an ApiError carrying the main process's sentence. */
export async function call<T>(promise: Promise<Result<T>>): Promise<T> {
  const result = await promise;
  if (!result.ok) throw new ApiError(result.code, result.message);
  return result.value;
}
