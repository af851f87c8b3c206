// Runs sandboxed: it can load only 'electron', so the channel names are repeated here and checked
// against the shared contract's types. It exposes named methods, never ipcRenderer itself.
import electron = require('electron');
import type { ADD_ACCOUNT_EVENT, API_CHANNELS, CHANGED_EVENT, TokenTrayApi } from '../app/ipc-contract.js' with { 'resolution-mode': 'import' };

const { contextBridge, ipcRenderer } = electron;

const channels = {
  listAccounts: 'accounts:list',
  signIn: 'accounts:sign-in',
  cancelSignIn: 'accounts:cancel-sign-in',
  removeAccount: 'accounts:remove',
  setDefault: 'accounts:set-default',
  getTokens: 'tokens:get',
  refreshTokens: 'tokens:refresh',
  copy: 'tokens:copy',
  getTokenInfo: 'tokens:info',
  importServiceAccount: 'accounts:import-service-account',
  setImpersonation: 'accounts:set-impersonation',
  getMetadataServer: 'metadata:get',
  setMetadataServer: 'metadata:set',
  getSettings: 'settings:get',
  setSettings: 'settings:set',
  importAdc: 'accounts:import-adc',
  copyMetadataExports: 'metadata:copy-exports',
  openGuide: 'guide:open',
} as const satisfies typeof API_CHANNELS;

const events = { changed: 'accounts:changed', addAccount: 'ui:add-account' } as const satisfies {
  changed: typeof CHANGED_EVENT;
  addAccount: typeof ADD_ACCOUNT_EVENT;
};

function subscribe(event: string, callback: () => void): () => void {
  const listener = () => callback();
  ipcRenderer.on(event, listener);
  return () => void ipcRenderer.removeListener(event, listener);
}

const api: TokenTrayApi = {
  listAccounts: () => ipcRenderer.invoke(channels.listAccounts),
  signIn: (request) => ipcRenderer.invoke(channels.signIn, request),
  cancelSignIn: () => ipcRenderer.invoke(channels.cancelSignIn),
  removeAccount: (id) => ipcRenderer.invoke(channels.removeAccount, id),
  setDefault: (id) => ipcRenderer.invoke(channels.setDefault, id),
  getTokens: (id) => ipcRenderer.invoke(channels.getTokens, id),
  refreshTokens: (id) => ipcRenderer.invoke(channels.refreshTokens, id),
  copy: (id, kind, form, options) => (options ? ipcRenderer.invoke(channels.copy, id, kind, form, options) : ipcRenderer.invoke(channels.copy, id, kind, form)),
  getTokenInfo: (id) => ipcRenderer.invoke(channels.getTokenInfo, id),
  importServiceAccount: (json) => ipcRenderer.invoke(channels.importServiceAccount, json),
  setImpersonation: (id, chain) => ipcRenderer.invoke(channels.setImpersonation, id, chain),
  getMetadataServer: () => ipcRenderer.invoke(channels.getMetadataServer),
  setMetadataServer: (request) => ipcRenderer.invoke(channels.setMetadataServer, request),
  getSettings: () => ipcRenderer.invoke(channels.getSettings),
  setSettings: (settings) => ipcRenderer.invoke(channels.setSettings, settings),
  importAdc: () => ipcRenderer.invoke(channels.importAdc),
  copyMetadataExports: () => ipcRenderer.invoke(channels.copyMetadataExports),
  openGuide: (page) => ipcRenderer.invoke(channels.openGuide, page),
  onChange: (callback) => subscribe(events.changed, callback),
  onAddAccountRequested: (callback) => subscribe(events.addAccount, callback),
};

contextBridge.exposeInMainWorld('tokentray', api);
