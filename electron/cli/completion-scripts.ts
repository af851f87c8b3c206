import type { Shell } from './completion.js';

/*
 * Each script only hands the words on the line to `tokentray __complete -- WORDS…` and shows what
 * it prints, one candidate a line: what to complete is decided once, in completion.ts, from the
 * commands' help specs, so a new command or option completes without touching these.
 */

const BASH = `# tokentray completion for bash. Load it in ~/.bashrc:  eval "$(tokentray completion bash)"
_tokentray() {
  local IFS=$'\\n'
  COMPREPLY=($(tokentray __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -o nosort -F _tokentray tokentray 2>/dev/null || complete -o default -F _tokentray tokentray
`;

const ZSH = `#compdef tokentray
# tokentray completion for zsh. Load it in ~/.zshrc (after compinit):  source <(tokentray completion zsh)
# or save it as _tokentray in a folder of $fpath.
_tokentray() {
  local -a candidates
  candidates=("\${(@f)$(tokentray __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=(\${candidates:#})
  if (( \${#candidates} )); then
    compadd -Q -- "\${candidates[@]}"
  else
    _files
  fi
}
if [[ "\${funcstack[1]}" == _tokentray ]]; then
  _tokentray "$@"
else
  compdef _tokentray tokentray
fi
`;

const FISH = `# tokentray completion for fish. Save it:  tokentray completion fish > ~/.config/fish/completions/tokentray.fish
function __tokentray_complete
    set -l words (commandline -opc)[2..-1] (commandline -ct)
    tokentray __complete -- $words 2>/dev/null
end
complete -c tokentray -f -a '(__tokentray_complete)'
`;

const POWERSHELL = `# tokentray completion for PowerShell. Load it in $PROFILE:  tokentray completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName tokentray -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements | Select-Object -Skip 1 | Where-Object { $_.Extent.EndOffset -le $cursorPosition } | ForEach-Object { $_.ToString() })
    if ($wordToComplete -eq '') { $words += '""' }
    & tokentray __complete -- @words 2>$null | ForEach-Object {
        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
    }
}
`;

export const COMPLETION_SCRIPTS: Readonly<Record<Shell, string>> = { bash: BASH, zsh: ZSH, fish: FISH, powershell: POWERSHELL };
