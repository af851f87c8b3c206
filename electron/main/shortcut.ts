import { globalShortcut } from 'electron';
import { TokenTrayError } from '../core/shared/errors.js';

/** (Re-)registers the one global shortcut; '' removes it. */
export function applyGlobalShortcut(accelerator: string, onPress: () => void): void {
  globalShortcut.unregisterAll();
  if (!accelerator) return;
  let ok = false;
  try {
    ok = globalShortcut.register(accelerator, onPress);
  } catch {
    ok = false;
  }
  if (!ok) throw new TokenTrayError('SHORTCUT_UNAVAILABLE', `The shortcut ${accelerator} is taken by another app or not allowed here. Choose another one.`);
}
