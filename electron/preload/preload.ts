// The sandboxed preload. Bundled at build time (vite.config.mjs beside this file) into one CommonJS
// file that requires nothing but 'electron' at run time, so it takes its channel names from the
// contract itself. It exposes named methods, never ipcRenderer.
import { contextBridge, ipcRenderer } from 'electron';
import { API_CHANNELS, EVENTS, type TokenTrayApi } from '../app/ipc-contract.js';

function subscribe(event: string, callback: () => void): () => void {
  // Hand the renderer nothing of the IPC event (it holds the sender).
  const listener = () => callback();
  ipcRenderer.on(event, listener);
  return () => void ipcRenderer.removeListener(event, listener);
}

/** Forwards the arguments, minus trailing undefined ones (optional arguments left out). */
function invoker(channel: string) {
  return (...args: unknown[]) => {
    while (args.length > 0 && args.at(-1) === undefined) args.pop();
    return ipcRenderer.invoke(channel, ...args);
  };
}

const api = {
  ...Object.fromEntries(Object.entries(API_CHANNELS).map(([method, channel]) => [method, invoker(channel)])),
  ...Object.fromEntries(Object.entries(EVENTS).map(([method, event]) => [method, (callback: () => void) => subscribe(event, callback)])),
} as TokenTrayApi;

contextBridge.exposeInMainWorld('tokentray', api);
