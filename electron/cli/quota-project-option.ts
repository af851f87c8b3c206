import type { OptionHelp } from './io.js';

/** `--quota-project` of exec, curl and metadata-server: one run's override of the account's setting. */
export const QUOTA_PROJECT_OPTION = {
  type: 'string',
  value: 'ID',
  default: "the account's quota project (`tokentray configure ACCOUNT --quota-project ID`), else none",
  help: 'User accounts: the project billed for API calls (x-goog-user-project, GOOGLE_CLOUD_QUOTA_PROJECT)',
} as const satisfies OptionHelp;
