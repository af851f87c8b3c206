import { checkProjectId } from '../core/google/project-id.js';
import { usageError, type CommandHelp } from './io.js';

/**
 * A project id given as a flag (configure's --project and --quota-project, exec's and
 * metadata-server's --project-id), checked by core's one rule before anything runs: a bad one is a
 * usage error (exit 2), like every bad option value, and never reaches a child's environment.
 */
export function projectIdFlag(help: CommandHelp, flag: string, value: string): string {
  try {
    return checkProjectId(value);
  } catch (err) {
    throw usageError(help, `${flag}: ${(err as Error).message.replace(/\.$/, '')}`);
  }
}
