import type { AccountRecord } from '../../accounts/account-registry.js';
import type { SourceFactory } from '../token-source.js';
import { serviceAccountKeySource } from './service-account-key.js';
import { userRefreshSource } from './user-refresh.js';
import { workforceSource, workloadSource } from './federation.js';

export type AccountKind = NonNullable<AccountRecord['kind']>;

/** Each kind of account and the source of its tokens: a new kind is one file and one line here. */
export const SOURCES: Readonly<Record<AccountKind, SourceFactory>> = {
  user: userRefreshSource,
  service_account: serviceAccountKeySource,
  workforce: workforceSource,
  workload: workloadSource,
};
