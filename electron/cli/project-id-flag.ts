import { checkProjectId, checkProjectNumber } from '../core/google/project-id.js';
import { usageError, type CommandHelp } from './io.js';

/**
 * A project id given as a flag (configure's --project and --quota-project, exec's and
 * metadata-server's --project-id), checked by core's one rule before anything runs: a bad one is a
 * usage error (exit 2), like every bad option value, and never reaches a child's environment.
 */
export function projectIdFlag(help: CommandHelp, flag: string, value: string): string {
  return checkedFlag(help, flag, () => checkProjectId(value));
}

/** configure's --project-number, checked the same way. */
export function projectNumberFlag(help: CommandHelp, value: string): string {
  return checkedFlag(help, '--project-number', () => checkProjectNumber(value));
}

function checkedFlag(help: CommandHelp, flag: string, check: () => string): string {
  try {
    return check();
  } catch (err) {
    throw usageError(help, `${flag}: ${(err as Error).message.replace(/\.$/, '')}`);
  }
}
