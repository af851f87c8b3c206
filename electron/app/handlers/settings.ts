import { Serial, type AppHandlerDeps, type DomainHandlers } from './deps.js';

/**
 * App settings. A change is saved, then applied (the global shortcut); if applying fails, what was
 * in force is saved and applied again. Changes run one at a time, so a rollback always restores the
 * settings that were in force just before its own change.
 */
export function settingsHandlers(deps: AppHandlerDeps): DomainHandlers<'settings:get' | 'settings:set'> {
  const changes = new Serial();
  return {
    'settings:get': async () => deps.settings.get(),

    'settings:set': (patch) =>
      changes.run(async () => {
        const before = deps.settings.get();
        const next = await deps.settings.update(patch);
        try {
          await deps.onSettingsChange?.(next);
        } catch (err) {
          // Applying the new one may have removed the old shortcut: put it back.
          await deps.settings.update(before);
          await Promise.resolve(deps.onSettingsChange?.(before)).catch(() => undefined);
          throw err;
        }
        return next;
      }),
  };
}
