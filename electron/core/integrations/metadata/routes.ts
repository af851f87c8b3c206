import type { AccountRecord } from '../../accounts/account-registry.js';
import { displayName } from '../../accounts/account-service.js';
import type { TokenDetails } from '../../shared/models.js';
import { parseImpersonationChain } from '../../google/impersonation.js';
import { parseScopeList } from '../../oauth/scopes.js';
import type { IdTokenOptions } from '../../tokens/token-service.js';
import { json, notFound, text, type Answer } from './answer.js';

/** What a route knows of the request it answers. */
export interface RouteContext {
  url: URL;
  account: AccountRecord;
  /** The emulated VM's service account: the account's email (or subject). */
  email: string;
  projectId: string | undefined;
  numericProjectId: string | undefined;
  /** The 404 body when no project is known, in the starting surface's words. */
  noProject: string;
  /** The 404 body when the project's number is not known, in the starting surface's words. */
  noProjectNumber: string;
  accessToken(account: AccountRecord, scopes: string[] | undefined): Promise<TokenDetails>;
  idToken(account: AccountRecord, options: IdTokenOptions): Promise<TokenDetails>;
}

type Route = (ctx: RouteContext) => Answer | Promise<Answer>;

const recursive = (ctx: RouteContext) => ctx.url.searchParams.get('recursive') === 'true';

const withProject =
  (answer: (projectId: string, ctx: RouteContext) => Answer): Route =>
  (ctx) =>
    ctx.projectId ? answer(ctx.projectId, ctx) : notFound(ctx.noProject);
/** The project number only when the user gave it: GCE clients bill and log against it, so none is made up. */
const withNumber: Route = (ctx) =>
  ctx.projectId && ctx.numericProjectId ? text(ctx.numericProjectId) : notFound(ctx.projectId ? ctx.noProjectNumber : ctx.noProject);

/** Paths under /computeMetadata/v1/, without their leading slash. */
const ROUTES: Record<string, Route> = {
  '': () => text('instance/\nproject/\n'),
  project: (ctx) =>
    recursive(ctx)
      ? withProject((id) => json({ projectId: id, ...(ctx.numericProjectId ? { numericProjectId: Number(ctx.numericProjectId) } : {}) }))(ctx)
      : text(ctx.numericProjectId ? 'numeric-project-id\nproject-id\n' : 'project-id\n'),
  'project/project-id': withProject((id) => text(id)),
  'project/numeric-project-id': withNumber,
  instance: () => text('service-accounts/\n'),
  'instance/service-accounts': (ctx) => text(`default/\n${ctx.email}/\n`),
};

/** Under instance/service-accounts/{default|EMAIL}/. */
const ACCOUNT_ROUTES: Record<string, Route> = {
  '': (ctx) =>
    recursive(ctx) ? json({ aliases: ['default'], email: ctx.email, scopes: ctx.account.scopes }) : text('aliases\nemail\nidentity\nscopes\ntoken\n'),
  aliases: () => text('default\n'),
  email: (ctx) => text(ctx.email),
  scopes: (ctx) => text(`${ctx.account.scopes.join('\n')}\n`),
  token: async (ctx) => {
    const scopes = ctx.url.searchParams.get('scopes');
    const token = await ctx.accessToken(ctx.account, scopes ? parseScopeList(scopes) : undefined);
    const expiresIn = Math.max(0, Math.floor((token.expiresAt - Date.now()) / 1000)); // real seconds, whatever a test clock says
    return json({ access_token: token.token, expires_in: expiresIn, token_type: 'Bearer' });
  },
  identity: identity,
};

async function identity(ctx: RouteContext): Promise<Answer> {
  const audience = ctx.url.searchParams.get('audience');
  if (!audience) return text('non-empty audience parameter required\n', 400);
  const { account } = ctx;
  // A user account's ID tokens are only for its OAuth client: go through its impersonation
  // target, or say how to set one. Never a token for the wrong audience.
  let impersonate;
  if (account.kind !== 'service_account') {
    if (!account.impersonate?.length) {
      return notFound(
        `${displayName(account)} is a user account: Google issues its ID tokens only for its own OAuth client. Give it a service account to impersonate (its impersonation setting), or serve a service account instead.\n`,
      );
    }
    impersonate = parseImpersonationChain(account.impersonate);
  }
  // format=full asks for the email (and licenses, which a workstation has none of).
  const includeEmail = ctx.url.searchParams.get('format') === 'full';
  return text((await ctx.idToken(account, { audience, includeEmail, ...(impersonate ? { impersonate } : {}) })).token);
}

const PREFIX = '/computeMetadata/v1';
const ACCOUNT_PATH = /^instance\/service-accounts\/([^/]+)(?:\/(.*))?$/;

/** A table's own entry: a path such as `constructor` must not find Object's. */
const own = (table: Record<string, Route>, key: string): Route | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);

/** Directories answer with or without their trailing slash. */
const DIRECTORIES = new Set(['project', 'instance', 'instance/service-accounts']);

/**
 * Where a path leads: a route, and for paths under instance/service-accounts/ the account it
 * names (the server answers only for its own); undefined for anything else.
 */
export function routeFor(path: string): { account?: string; route: Route | undefined } | undefined {
  if (!path.startsWith(PREFIX)) return undefined;
  const rest = path.slice(PREFIX.length).replace(/^\//, '');
  const dir = rest.endsWith('/') && DIRECTORIES.has(rest.slice(0, -1)) ? rest.slice(0, -1) : rest;
  const direct = own(ROUTES, dir);
  if (direct) return { route: direct };
  const m = ACCOUNT_PATH.exec(rest);
  // The guard has checked that the path decodes.
  return m ? { account: decodeURIComponent(m[1]), route: own(ACCOUNT_ROUTES, m[2] ?? '') } : undefined;
}
