import type { ContainerConfig } from '@tdock/core';
import { invalidArgument } from '@tdock/core';
import { BuildArgs, dispatchInstruction, parseDockerfile, parseInstruction, type StageState } from '@tdock/builder';

/** The Dockerfile instructions `docker import --change` and `docker commit --change` accept (moby's validCommitCommands). */
const CHANGE_COMMANDS = new Set(['cmd', 'entrypoint', 'env', 'expose', 'healthcheck', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir']);

/**
 * Apply `--change` instructions (`CMD ["sh"]`, `ENV A=b`, ...) to a config, as Docker's
 * BuildFromConfig does, through the builder's parser and dispatcher. Returns a new config.
 */
export function applyChanges(config: ContainerConfig, changes: readonly string[]): ContainerConfig {
  const lines = changes.filter((c) => c.trim() !== '');
  if (lines.length === 0) return config;
  const parsed = parseDockerfile(lines.join('\n'));
  const state: StageState = { config: structuredClone(config), args: new BuildArgs(), maintainer: '', cmdSet: false, escapeToken: parsed.escapeToken };
  for (const node of parsed.ast.children ?? []) {
    const name = String(node.value ?? '').toLowerCase();
    if (!CHANGE_COMMANDS.has(name)) throw invalidArgument(`${name.toUpperCase()} is not a valid change command`);
    const inst = parseInstruction(node);
    if (!('kind' in inst) || inst.kind === 'from') throw invalidArgument(`${name.toUpperCase()} is not a valid change command`);
    dispatchInstruction(state, inst);
  }
  return state.config;
}
