import type { CommandContext } from '../context.js';
import { StatusError } from '../exit.js';
import { ALIASES, COMMANDS } from './index.js';
import { GROUP_COMMANDS } from './objects.js';

const CONTAINER_COMMANDS = ['attach', 'commit', 'cp', 'diff', 'exec', 'export', 'inspect', 'kill', 'logs', 'pause', 'port', 'rename', 'restart', 'rm', 'start', 'stats', 'stop', 'top', 'unpause', 'update', 'wait'];
const IMAGE_COMMANDS = ['create', 'history', 'push', 'rmi', 'run', 'save', 'tag'];

/** The bash completion script: commands, group subcommands, container and image names. */
export function bashCompletion(): string {
  const groups = new Map<string, Set<string>>();
  for (const [g, subs] of Object.entries(GROUP_COMMANDS)) groups.set(g, new Set(Object.keys(subs)));
  for (const alias of Object.keys(ALIASES)) {
    const [g, sub] = alias.split(' ') as [string, string];
    if (!groups.has(g)) groups.set(g, new Set());
    groups.get(g)!.add(sub);
  }
  const top = [...new Set([...Object.keys(COMMANDS), ...groups.keys(), 'completion'])].sort();
  const cases = [...groups].map(([g, subs]) => `    ${g}) COMPREPLY=($(compgen -W "${[...subs].sort().join(' ')}" -- "$cur")); return ;;`).join('\n');
  return `# bash completion for tdock: source this file, or put it in /etc/bash_completion.d/tdock
_tdock() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd=\${COMP_WORDS[1]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${top.join(' ')}" -- "$cur")); return
  fi
  if [ "$COMP_CWORD" -eq 2 ]; then
    case "$cmd" in
${cases}
    esac
  fi
  case "$cur" in -*) return ;; esac
  case "$cmd" in
    ${CONTAINER_COMMANDS.join('|')}) COMPREPLY=($(compgen -W "$(tdock ps -a --format '{{.Names}}' 2>/dev/null)" -- "$cur")) ;;
    ${IMAGE_COMMANDS.join('|')}) COMPREPLY=($(compgen -W "$(tdock images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null)" -- "$cur")) ;;
  esac
}
complete -F _tdock tdock
`;
}

/** The zsh completion script: the bash one through zsh's bashcompinit. */
export function zshCompletion(): string {
  return `# zsh completion for tdock: source this file from ~/.zshrc
autoload -U +X bashcompinit && bashcompinit
${bashCompletion()}`;
}

/** `tdock completion bash|zsh` */
export async function run(ctx: CommandContext, argv: string[]): Promise<number> {
  const shell = argv[0];
  if (shell === 'bash') ctx.out(bashCompletion());
  else if (shell === 'zsh') ctx.out(zshCompletion());
  else throw new StatusError(1, `"tdock completion" requires one argument: bash or zsh`);
  return 0;
}
