/**
 * Applying instructions to a stage's state, as docker's legacy builder dispatches them (moby
 * `daemon/builder/dockerfile/dispatchers.go`, `evaluator.go`): which values are expanded and with which variables,
 * how the image config changes, and what each step records in history. Pure: a step that needs a container or files
 * comes back as a plan for the executor.
 */
import { posix } from 'node:path';
import { invalidArgument, parsePortSpecs, type ContainerConfig } from '@tdock/core';
import type { BuildArgs } from './build-args.js';
import {
  DEFAULT_SHELL, createdBy, healthcheckComment, nopCmd, nopCmdString, runSaveCmd,
} from './history.js';
import { goFormatSlice, goQuoteSlice } from './go-quote.js';
import type { InlineFile, Instruction, SourceContent } from './instructions.js';
import { ShellLex, envFromList, type EnvLookup } from './lexer.js';
import { chompHeredocContent, parseHeredoc } from './parser.js';
import { parseRunMount, type RunMount } from './run-mount.js';

/** The PATH docker adds when the base image has none (Linux). */
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** One stage's evolving state; owned by a single stage walk. */
export interface StageState {
  /** The image config being built (docker's runConfig). */
  config: ContainerConfig;
  args: BuildArgs;
  /** From MAINTAINER; becomes the image's `author`. */
  maintainer: string;
  cmdSet: boolean;
  escapeToken: string;
}

/** A file a RUN step needs in its root filesystem (a here-document script). */
export interface StepFile { path: string; data: string; mode: number }

/** What the executor must do for one instruction. Every plan carries its history `created_by` (COPY's once hashed). */
export type StepPlan =
  | { kind: 'config'; createdBy: string }
  | { kind: 'workdir'; path: string; createdBy: string }
  | {
    kind: 'run'; argv: string[]; env: string[]; user: string; cwd: string; mounts: RunMount[];
    network: 'default' | 'none' | 'host'; security: string; files: StepFile[]; cacheCmd: string[]; createdBy: string;
  }
  | {
    kind: 'copy'; cmdName: 'COPY' | 'ADD'; from: string; sources: string[]; contents: SourceContent[]; dest: string;
    cwd: string; chown: string; chmod: string; link: boolean; checksum: string; unpack: boolean;
    keepGitDir: boolean; excludes: string[]; preserveOwnership: boolean; shell: string[];
  };

const SIGNALS = new Set(['ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE',
  'POLL', 'PROF', 'PWR', 'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2',
  'VTALRM', 'WINCH', 'XCPU', 'XFSZ', 'RTMIN', 'RTMAX',
  ...Array.from({ length: 15 }, (_, i) => `RTMIN+${i + 1}`), ...Array.from({ length: 14 }, (_, i) => `RTMAX-${i + 1}`)]);

/** moby/sys/signal.ParseSignal's acceptance rule. */
export function validateSignal(raw: string): void {
  if (/^[+-]?\d+$/.test(raw)) {
    if (Number(raw) === 0) throw invalidArgument(`Invalid signal: ${raw}`);
    return;
  }
  if (!SIGNALS.has(raw.toUpperCase().replace(/^SIG/, ''))) throw invalidArgument(`Invalid signal: ${raw}`);
}

const shellOf = (c: ContainerConfig): string[] => (c.Shell && c.Shell.length > 0 ? [...c.Shell] : [...DEFAULT_SHELL]);

/** Starts a stage on a base image's config (undefined for scratch); returns the base's ONBUILD triggers to run. */
export function beginStage(base: ContainerConfig | undefined, args: BuildArgs, escapeToken: string): { state: StageState; triggers: string[] } {
  const config: ContainerConfig = base ? structuredClone(base) : {};
  const env = config.Env ?? [];
  if (!env.some((e) => e.split('=')[0] === 'PATH')) config.Env = [...env, DEFAULT_PATH_ENV];
  delete config.OpenStdin;
  delete config.StdinOnce;
  const triggers = config.OnBuild ?? [];
  if (triggers.length > 0) config.OnBuild = null;
  return { state: { config, args, maintainer: '', cmdSet: false, escapeToken }, triggers: [...triggers] };
}

/** Expands FROM's image name and platform with the meta args; throws on a blank result. */
export function expandFrom(baseName: string, platform: string, args: BuildArgs, escapeToken: string): { baseName: string; platform: string } {
  const env = envFromMap(args.allMeta());
  const lex = new ShellLex({ escapeToken });
  const name = lex.processWord(baseName, env);
  if (name === '') throw invalidArgument(`base name (${baseName}) should not be blank`);
  return { baseName: name, platform: platform === '' ? '' : lex.processWord(platform, env) };
}

function envFromMap(m: Map<string, string>): EnvLookup {
  return { get: (k) => m.get(k) };
}

/** The variables an instruction expands with: the config's Env plus the allowed build args not shadowed by it. */
export function expansionEnv(state: StageState): EnvLookup {
  const env = state.config.Env ?? [];
  return envFromList([...env, ...state.args.filterAllowed(env)]);
}

/** WORKDIR resolution (normalizeWorkdir on Linux). */
export function normalizeWorkdir(current: string, requested: string): string {
  if (requested === '') throw invalidArgument('cannot normalize nothing');
  return requested.startsWith('/') ? posix.normalize(requested).replace(/(.)\/$/, '$1') : posix.join('/', current, requested).replace(/(.)\/$/, '$1');
}

function setEnv(config: ContainerConfig, key: string, value: string): void {
  const env = config.Env ?? [];
  const i = env.findIndex((e) => e.split('=')[0] === key);
  if (i >= 0) env[i] = `${key}=${value}`;
  else env.push(`${key}=${value}`);
  config.Env = env;
}

function commit(state: StageState, comment: string): StepPlan {
  return { kind: 'config', createdBy: createdBy(nopCmd(shellOf(state.config), comment)) };
}

/** The argv of a RUN, with here-documents handled as BuildKit does (a shebang script becomes a file). */
function runArgv(shell: string[], cmdLine: string[], prependShell: boolean, files: InlineFile[]): { argv: string[]; files: StepFile[] } {
  const withShell = (args: string[]): string[] => (prependShell ? [...shell, ...args] : args);
  if (files.length === 0) return { argv: withShell([...cmdLine]), files: [] };
  if (cmdLine.length !== 1 || !prependShell) throw invalidArgument(`parsing produced an invalid run command: ${goFormatSlice(cmdLine)}`);
  let single: ReturnType<typeof parseHeredoc>;
  try {
    single = parseHeredoc(cmdLine[0]);
  } catch {
    single = undefined;
  }
  if (single) {
    const first = files[0];
    const data = first.chomp ? chompHeredocContent(first.data) : first.data;
    if (data.startsWith('#!')) {
      const path = posix.join('/dev/pipes/', first.name);
      return { argv: withShell([path]), files: [{ path, data, mode: 0o755 }] };
    }
    return { argv: withShell([data]), files: [] };
  }
  let script = cmdLine[0];
  for (const f of files) script += '\n' + f.data + f.name;
  return { argv: withShell([script]), files: [] };
}

/**
 * Applies one instruction to `state` (mutating its config and args) and returns the step to execute. Expansion
 * follows the legacy builder: ENV, LABEL, ADD, COPY, WORKDIR, USER, VOLUME, STOPSIGNAL, ARG, EXPOSE and RUN's mounts
 * are expanded; RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK/ONBUILD/MAINTAINER are not.
 */
export function dispatchInstruction(state: StageState, inst: Instruction): StepPlan {
  const c = state.config;
  const lex = new ShellLex({ escapeToken: state.escapeToken });
  const env = expansionEnv(state);
  const x = (w: string): string => lex.processWord(w, env);
  switch (inst.kind) {
    case 'env': {
      const parts: string[] = [];
      for (const kv of inst.env) {
        const key = x(kv.key);
        const value = x(kv.value);
        parts.push(`${key}=${value}`);
        setEnv(c, key, value);
      }
      return commit(state, 'ENV ' + parts.join(' '));
    }
    case 'maintainer':
      state.maintainer = inst.maintainer;
      return commit(state, 'MAINTAINER ' + inst.maintainer);
    case 'label': {
      const labels = { ...(c.Labels ?? {}) };
      const parts: string[] = [];
      for (const kv of inst.labels) {
        const key = inst.noExpand ? kv.key : x(kv.key);
        const value = inst.noExpand ? kv.value : x(kv.value);
        labels[key] = value;
        parts.push(`${key}=${value}`);
      }
      c.Labels = labels;
      return commit(state, 'LABEL ' + parts.join(' '));
    }
    case 'add':
    case 'copy': {
      const raw = new ShellLex({ skipProcessQuotes: true });
      const from = inst.kind === 'copy' ? inst.from : '';
      const chown = x(inst.chown);
      return {
        kind: 'copy', cmdName: inst.kind === 'add' ? 'ADD' : 'COPY', from, sources: inst.sourcePaths.map(x), dest: x(inst.dest),
        contents: inst.sourceContents.map((sc) => (sc.expand ? { ...sc, data: raw.processWord(sc.data, env) } : { ...sc })),
        cwd: c.WorkingDir ?? '', chown, chmod: x(inst.chmod), link: inst.link,
        checksum: inst.kind === 'add' ? x(inst.checksum) : '', unpack: inst.kind === 'add' ? inst.unpack ?? true : false,
        keepGitDir: inst.kind === 'add' ? inst.keepGitDir ?? false : false, excludes: inst.excludes,
        preserveOwnership: from !== '' && chown === '', shell: shellOf(c),
      };
    }
    case 'onbuild':
      c.OnBuild = [...(c.OnBuild ?? []), inst.expression];
      return commit(state, 'ONBUILD ' + inst.expression);
    case 'workdir': {
      c.WorkingDir = normalizeWorkdir(c.WorkingDir ?? '', x(inst.path));
      return { kind: 'workdir', path: c.WorkingDir, createdBy: createdBy(nopCmdString(shellOf(c), 'WORKDIR ' + c.WorkingDir)) };
    }
    case 'run': {
      const mounts = inst.mountSpecs.map((s) => parseRunMount(s, x));
      const { argv, files } = runArgv(shellOf(c), inst.cmdLine, inst.prependShell, inst.files);
      const buildArgEnv = state.args.filterAllowed(c.Env ?? []);
      const cacheCmd = runSaveCmd(argv, buildArgEnv, (k) => state.args.isReferencedOrNotBuiltin(k));
      return {
        kind: 'run', argv, env: [...(c.Env ?? []), ...buildArgEnv], user: c.User ?? '', cwd: c.WorkingDir || '/',
        mounts, network: inst.network, security: inst.security, files, cacheCmd, createdBy: createdBy(cacheCmd),
      };
    }
    case 'cmd': {
      const cmd = inst.prependShell ? [...shellOf(c), ...inst.cmdLine] : [...inst.cmdLine];
      c.Cmd = cmd;
      if (inst.cmdLine.length > 0) state.cmdSet = true;
      return commit(state, 'CMD ' + goQuoteSlice(cmd));
    }
    case 'entrypoint': {
      const ep = inst.cmdLine.length === 0 ? null : inst.prependShell ? [...shellOf(c), ...inst.cmdLine] : [...inst.cmdLine];
      c.Entrypoint = ep;
      if (!state.cmdSet) c.Cmd = null;
      return commit(state, 'ENTRYPOINT ' + goQuoteSlice(ep ?? []));
    }
    case 'healthcheck': {
      const h = inst.health;
      c.Healthcheck = {
        Test: [...h.test],
        ...(h.interval ? { Interval: h.interval } : {}), ...(h.timeout ? { Timeout: h.timeout } : {}),
        ...(h.startPeriod ? { StartPeriod: h.startPeriod } : {}), ...(h.startInterval ? { StartInterval: h.startInterval } : {}),
        ...(h.retries ? { Retries: h.retries } : {}),
      };
      return commit(state, healthcheckComment(h));
    }
    case 'expose': {
      const ports = inst.ports.flatMap((p) => lex.processWords(p, env));
      const exposed = { ...(c.ExposedPorts ?? {}) };
      for (const p of Object.keys(parsePortSpecs(ports).exposed)) exposed[p] = {};
      c.ExposedPorts = exposed;
      return commit(state, 'EXPOSE ' + ports.join(' '));
    }
    case 'user':
      c.User = x(inst.user);
      return commit(state, 'USER ' + c.User);
    case 'volume': {
      const vols = inst.volumes.map(x);
      const volumes = { ...(c.Volumes ?? {}) };
      for (const v of vols) {
        if (v === '') throw invalidArgument('VOLUME specified can not be an empty string');
        volumes[v] = {};
      }
      c.Volumes = volumes;
      return commit(state, 'VOLUME ' + goFormatSlice(vols));
    }
    case 'stopsignal': {
      const sig = x(inst.signal);
      validateSignal(sig);
      c.StopSignal = sig;
      return commit(state, 'STOPSIGNAL ' + sig);
    }
    case 'arg': {
      const parts: string[] = [];
      for (const a of inst.args) {
        const key = x(a.key);
        const value = a.value === undefined ? undefined : x(a.value);
        parts.push(value === undefined ? key : `${key}=${value}`);
        state.args.addArg(key, value);
      }
      return commit(state, 'ARG ' + parts.join(' '));
    }
    case 'shell':
      c.Shell = [...inst.shell];
      return commit(state, 'SHELL ' + goFormatSlice(c.Shell));
  }
}
