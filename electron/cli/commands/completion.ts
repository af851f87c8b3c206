import { COMPLETION_SCRIPTS } from '../completion-scripts.js';
import { SHELLS, type Shell } from '../completion.js';
import { defineCommand, parseCommand, usageError, type CommandHelp } from '../io.js';

const COMPLETION_HELP = {
  name: 'completion',
  group: 'Integrations',
  summary: 'Print a shell completion script (bash, zsh, fish, powershell)',
  usage: 'bash|zsh|fish|powershell',
  description:
    'Completes commands, options, account emails and ids (read from accounts.json, never the keychain), scope short names and --flavor values. ' +
    "Load it from your shell's start-up file, as the examples show.",
  args: [{ name: 'bash|zsh|fish|powershell', help: 'The shell' }],
  options: {},
  examples: [
    { command: 'echo \'eval "$(tokentray completion bash)"\' >> ~/.bashrc', help: 'bash' },
    { command: "echo 'source <(tokentray completion zsh)' >> ~/.zshrc", help: 'zsh (after compinit)' },
    { command: 'tokentray completion fish > ~/.config/fish/completions/tokentray.fish', help: 'fish' },
    { command: 'tokentray completion powershell | Out-String | Invoke-Expression', help: 'PowerShell (add the line to $PROFILE)' },
  ],
} satisfies CommandHelp;

export const completion = defineCommand(COMPLETION_HELP, async (args, io) => {
  const parsed = parseCommand(COMPLETION_HELP, args, io);
  if (!parsed) return 0;
  const shell = parsed.positionals[0];
  if (!shell) throw usageError(COMPLETION_HELP, 'name the shell: bash, zsh, fish or powershell');
  if (!SHELLS.includes(shell as Shell)) throw usageError(COMPLETION_HELP, `no completion for "${shell}": bash, zsh, fish or powershell`);
  io.stdout(COMPLETION_SCRIPTS[shell as Shell]);
  return 0;
});
