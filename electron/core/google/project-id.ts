import { TokenTrayError } from '../shared/errors.js';

/**
 * A Google Cloud project id as the Cloud Console allows it: 6-30 characters, lowercase letters,
 * digits and hyphens, starting with a letter, not ending with a hyphen; older ones may carry a
 * domain prefix (`example.com:my-project`). The one check for every project TokenTray takes
 * (an account's project, its quota project, a one-run override).
 */
const PROJECT_ID = /^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export function checkProjectId(value: string): string {
  if (!PROJECT_ID.test(value)) {
    throw new TokenTrayError(
      'INVALID_PROJECT',
      `${JSON.stringify(value.slice(0, 80))} is not a Google Cloud project id (6-30 lowercase letters, digits and hyphens, starting with a letter).`,
    );
  }
  return value;
}

/** A project number as Google assigns them: digits, no leading zero (today 12 digits; up to 19 allowed). */
const PROJECT_NUMBER = /^[1-9][0-9]{0,18}$/;

export function checkProjectNumber(value: string): string {
  if (!PROJECT_NUMBER.test(value)) {
    throw new TokenTrayError(
      'INVALID_PROJECT_NUMBER',
      `${JSON.stringify(value.slice(0, 80))} is not a Google Cloud project number (digits only, as the Console shows under "Project number").`,
    );
  }
  return value;
}
