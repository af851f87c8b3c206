import type { AccountSummary, AccountTokens, CopyOptions, TokenForm, TokenKind } from '../../../electron/app/ipc-contract.js';
import { copy, setImpersonation, setQuotaProject } from '../actions.js';
import { h } from '../dom.js';
import { formatCountdown, maskToken } from '../format.js';
import { changed, state } from '../state.js';
import { toast } from '../toast.js';

interface CardOptions {
  /** Names the card in the DOM (data-kind) and its reveal state. */
  key: string;
  copyOptions?: CopyOptions;
  empty?: string;
  extra?: Node | undefined;
}

/** One token: masked value (revealable), live countdown, and its copy buttons. */
export function tokenCard(kind: TokenKind, title: string, token: { token: string; expiresAt: number } | null, options: CardOptions): HTMLElement {
  const { key } = options;
  const revealed = state.revealed[key] === true;
  const value = token
    ? h(
        'code',
        { className: `token-value${revealed ? '' : ' masked'}`, 'data-token': key, 'aria-label': `${title}${revealed ? '' : ' (hidden)'}` },
        revealed ? token.token : maskToken(token.token),
      )
    : h('code', { className: 'token-value masked', 'data-token': key }, options.empty ?? 'No token.');
  const button = (label: string, onclick: () => void, attrs: Record<string, string> = {}) =>
    h('button', { type: 'button', onclick, disabled: !token, ...attrs }, label);
  const copyForm = (form: TokenForm) => () => void copy(kind, form, options.copyOptions);
  return h(
    'section',
    { className: 'token-card', 'data-kind': key },
    h(
      'div',
      { className: 'token-head' },
      h('h3', {}, title),
      h(
        'span',
        { className: 'countdown', 'data-expires': token ? String(token.expiresAt) : '' },
        token ? `expires ${formatCountdown(token.expiresAt, Date.now())}` : '',
      ),
    ),
    value,
    h(
      'div',
      { className: 'token-actions' },
      button(
        revealed ? 'Hide' : 'Reveal',
        () => {
          state.revealed[key] = !revealed;
          changed('detail');
        },
        { 'aria-pressed': String(revealed), 'data-action': `reveal-${key}` },
      ),
      button('Copy token', copyForm('raw'), { 'data-action': `copy-${key}-raw` }),
      button('Copy header', copyForm('header'), { 'data-action': `copy-${key}-header` }),
      button('Copy curl', copyForm('curl'), { 'data-action': `copy-${key}-curl` }),
    ),
    options.extra ?? null,
  );
}

/** "ID token for audience …": a service account's own, or a user's through its impersonation target. */
export function audienceRow(account: AccountSummary): HTMLElement {
  const input = h('input', {
    type: 'url',
    id: 'audience',
    placeholder: 'https://my-service.example.com',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-label': 'Audience',
  });
  const hint =
    account.kind === 'service_account'
      ? 'Signed by this service account for the audience you give.'
      : account.impersonate.length > 0
        ? `Issued for ${account.impersonate[0]} through impersonation.`
        : "Google issues a user's ID tokens only for its OAuth client: set an impersonation target to get one for another audience.";
  return h(
    'div',
    { className: 'audience-row' },
    h(
      'label',
      {},
      'ID token for audience',
      h(
        'span',
        { className: 'inline' },
        input,
        h(
          'button',
          {
            type: 'button',
            'data-action': 'copy-id-audience',
            onclick: () => {
              const audience = input.value.trim();
              if (audience) void copy('id', 'raw', { audience });
              else toast('Type the audience first.');
            },
          },
          'Copy',
        ),
      ),
    ),
    h('p', { className: 'hint' }, hint),
  );
}

/** A user account's quota project: the project its API calls bill (x-goog-user-project). */
export function quotaProjectCard(account: AccountSummary): HTMLElement {
  const input = h('input', {
    type: 'text',
    id: 'quota-project',
    value: account.quotaProject ?? '',
    placeholder: 'my-billing-project',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-label': 'Quota project',
  });
  return h(
    'section',
    { className: 'token-card', 'data-kind': 'quota-project' },
    h(
      'div',
      { className: 'audience-row' },
      h(
        'label',
        {},
        'Quota project',
        h('span', { className: 'hint' }, ' (billed for API calls that need one; sent as x-goog-user-project)'),
        h(
          'span',
          { className: 'inline' },
          input,
          h('button', { type: 'button', 'data-action': 'save-quota-project', onclick: () => void setQuotaProject(account, input.value.trim()) }, 'Save'),
          account.quotaProject &&
            h('button', { type: 'button', 'data-action': 'clear-quota-project', onclick: () => void setQuotaProject(account, '') }, 'Clear'),
        ),
      ),
    ),
  );
}

export function impersonationCard(account: AccountSummary, tokens: AccountTokens | undefined): HTMLElement {
  const input = h('input', {
    type: 'text',
    id: 'impersonate',
    value: account.impersonate.join(', '),
    placeholder: 'deployer@my-project.iam.gserviceaccount.com',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-label': 'Service account to impersonate, then delegates',
  });
  const form = h(
    'div',
    { className: 'audience-row' },
    h(
      'label',
      {},
      'Impersonate a service account',
      h('span', { className: 'hint' }, ' (target first, then delegates; needs roles/iam.serviceAccountTokenCreator)'),
      h(
        'span',
        { className: 'inline' },
        input,
        h(
          'button',
          { type: 'button', 'data-action': 'save-impersonation', onclick: () => void setImpersonation(account, input.value.split(/[\s,]+/).filter(Boolean)) },
          'Save',
        ),
        account.impersonate.length > 0 &&
          h('button', { type: 'button', 'data-action': 'clear-impersonation', onclick: () => void setImpersonation(account, []) }, 'Clear'),
      ),
    ),
  );
  const imp = tokens?.impersonated;
  if (!imp) return h('section', { className: 'token-card', 'data-kind': 'impersonation' }, h('h3', {}, 'Impersonation'), form);
  return tokenCard('access', `Access token as ${imp.target}`, imp.access, {
    key: 'impersonated',
    copyOptions: { impersonated: true },
    empty: imp.error ?? 'No token.',
    extra: form,
  });
}
