/**
 * Typed instructions (BuildKit's `frontend/dockerfile/instructions`): the AST of {@link parseDockerfile} becomes
 * stages of typed instructions plus the meta ARGs before the first FROM. Values stay unexpanded here; expansion
 * happens per build (see `expand.ts`). Errors read `dockerfile parse error on line N: ...` as docker prints them.
 */
import { parseGoDuration } from '@tdock/core';
import { BFlags, withSuggestion } from './bflags.js';
import { DockerfileParseError, chompHeredocContent, nodeArgs, parseDockerfile, parseHeredoc, type AstNode } from './parser.js';
import { mountFrom } from './run-mount.js';

interface Base {
  /** The instruction as written (`RUN`, `run`). */
  name: string;
  /** The trimmed source text after continuation lines were joined. */
  code: string;
  startLine: number;
  endLine: number;
}

export interface KeyValue { key: string; value: string; noDelim: boolean }
export interface ArgDef { key: string; value?: string }
/** A here-document fed to a RUN/CMD/ENTRYPOINT as a file. */
export interface InlineFile { name: string; data: string; chomp: boolean }
/** A here-document used as a COPY/ADD source. */
export interface SourceContent { path: string; data: string; expand: boolean }
export interface SourcesAndDest { dest: string; sourcePaths: string[]; sourceContents: SourceContent[] }
/** Health check as in the image config (durations in nanoseconds). */
export interface HealthcheckSpec {
  test: string[];
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}
export interface CommandLine {
  /** Exec form: the argv; shell form: one string. */
  cmdLine: string[];
  /** Shell form: the current SHELL is prepended. */
  prependShell: boolean;
  files: InlineFile[];
}

export type Instruction =
  | (Base & { kind: 'env'; env: KeyValue[] })
  | (Base & { kind: 'label'; labels: KeyValue[]; /** Set for `--label` options: values are not expanded. */ noExpand?: boolean })
  | (Base & { kind: 'maintainer'; maintainer: string })
  | (Base & SourcesAndDest & { kind: 'add'; chown: string; chmod: string; link: boolean; checksum: string; keepGitDir?: boolean; unpack?: boolean; excludes: string[] })
  | (Base & SourcesAndDest & { kind: 'copy'; from: string; chown: string; chmod: string; link: boolean; parents: boolean; excludes: string[] })
  | (Base & { kind: 'onbuild'; expression: string; trigger?: Instruction })
  | (Base & { kind: 'workdir'; path: string })
  | (Base & CommandLine & { kind: 'run'; mountSpecs: string[]; network: 'default' | 'none' | 'host'; security: string; flagsUsed: string[] })
  | (Base & CommandLine & { kind: 'cmd' })
  | (Base & CommandLine & { kind: 'entrypoint' })
  | (Base & { kind: 'healthcheck'; health: HealthcheckSpec })
  | (Base & { kind: 'expose'; ports: string[] })
  | (Base & { kind: 'user'; user: string })
  | (Base & { kind: 'volume'; volumes: string[] })
  | (Base & { kind: 'stopsignal'; signal: string })
  | (Base & { kind: 'arg'; args: ArgDef[] })
  | (Base & { kind: 'shell'; shell: string[] });

export type InstructionKind = Instruction['kind'];

/** A build stage: its FROM line and its instructions. */
export interface Stage {
  /** Position among all stages (COPY --from=0). */
  index: number;
  /** Lower-cased `AS` name, or ''. */
  name: string;
  /** The image or stage named by FROM, unexpanded. */
  baseName: string;
  /** `--platform`, unexpanded, or ''. */
  platform: string;
  code: string;
  startLine: number;
  endLine: number;
  instructions: Instruction[];
}

/** A Dockerfile turned into stages. */
export interface Dockerfile {
  stages: Stage[];
  /** ARGs before the first FROM. */
  metaArgs: Extract<Instruction, { kind: 'arg' }>[];
  escapeToken: string;
  directives: Record<string, string>;
  warnings: string[];
}

const COMMANDS = ['add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label', 'maintainer',
  'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir'];
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

type FromInstruction = { kind: 'from'; name: string; baseName: string; platform: string; code: string; startLine: number; endLine: number };

const goQuoteSimple = (s: string): string => JSON.stringify(s);

function kvps(args: string[], cmd: string): KeyValue[] {
  if (args.length === 0) throw new Error(`${cmd} requires at least one argument`);
  if (args.length % 3 !== 0) throw new Error(`Bad input to ${cmd}, too many arguments`);
  const out: KeyValue[] = [];
  for (let j = 0; j < args.length; j += 3) {
    if (args[j].length === 0) throw new Error(`${cmd} names can not be blank`);
    out.push({ key: args[j], value: args[j + 1], noDelim: args[j + 2] === '' });
  }
  return out;
}

function commandLine(node: AstNode, args: string[]): CommandLine {
  const json = node.attributes.json === true;
  const cmdLine = args.length === 0 ? [] : json ? args : [args.join(' ')];
  return { cmdLine, prependShell: !json, files: node.heredocs.map((h) => ({ name: h.name, data: h.content, chomp: h.chomp })) };
}

function sourcesAndDest(node: AstNode, args: string[], cmd: string): SourcesAndDest {
  const srcs = args.slice(0, -1);
  const dest = args[args.length - 1];
  if (parseHeredoc(dest)) throw new Error(`${cmd} cannot accept a heredoc as a destination`);
  const byName = new Map(node.heredocs.map((h) => [h.name, h]));
  const sourcePaths: string[] = [];
  const sourceContents: SourceContent[] = [];
  for (const src of srcs) {
    const h = parseHeredoc(src);
    if (h) {
      let data = byName.get(h.name)?.content ?? '';
      if (h.chomp) data = chompHeredocContent(data);
      sourceContents.push({ path: h.name, data, expand: h.expand });
    } else sourcePaths.push(src);
  }
  return { dest, sourcePaths, sourceContents };
}

function interval(flags: BFlags, name: string): number {
  const s = flags.string(name);
  if (s === '') return 0;
  const d = parseGoDuration(s);
  if (d === 0) return 0;
  if (d < 1e6) throw new Error(`Interval ${goQuoteSimple(name)} cannot be less than 1ms`);
  return d;
}

function parseHealthcheck(args: string[], node: AstNode, flags: BFlags): HealthcheckSpec {
  if (args.length === 0) throw new Error('HEALTHCHECK requires at least one argument');
  let typ = args[0].toUpperCase();
  const rest = args.slice(1);
  const h: HealthcheckSpec = { test: [], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (typ === 'NONE') {
    if (rest.length !== 0) throw new Error('HEALTHCHECK NONE takes no arguments');
    h.test = [typ];
    return h;
  }
  flags.addString('interval').addString('timeout').addString('start-period').addString('start-interval').addString('retries').parse();
  if (typ !== 'CMD') throw new Error(`Unknown type ${goQuoteSimple(typ)} in HEALTHCHECK (try CMD)`);
  const json = node.attributes.json === true;
  const cmd = rest.length === 0 ? [] : json ? rest : [rest.join(' ')];
  if (cmd.length === 0) throw new Error('Missing command after HEALTHCHECK CMD');
  if (!json) typ = 'CMD-SHELL';
  h.test = [typ, ...cmd];
  h.interval = interval(flags, 'interval');
  h.timeout = interval(flags, 'timeout');
  h.startPeriod = interval(flags, 'start-period');
  h.startInterval = interval(flags, 'start-interval');
  const r = flags.string('retries');
  if (r !== '') {
    if (!/^[+-]?\d+$/.test(r)) throw new Error(`strconv.ParseInt: parsing ${goQuoteSimple(r)}: invalid syntax`);
    const n = Number.parseInt(r, 10);
    if (n < 0) throw new Error(`--retries cannot be negative (${n})`);
    h.retries = n;
  }
  return h;
}

/** Parses one instruction node. Throws a plain Error with BuildKit's message (no line prefix). */
export function parseInstruction(node: AstNode): Instruction | FromInstruction {
  const args = nodeArgs(node);
  const flags = new BFlags(node.flags);
  const base: Base = { name: node.value, code: node.original.trim(), startLine: node.startLine, endLine: node.endLine };
  const one = (cmd: string): string => {
    if (args.length !== 1) throw new Error(`${cmd} requires exactly one argument`);
    return args[0];
  };
  switch (node.value.toLowerCase()) {
    case 'env':
      flags.parse();
      return { ...base, kind: 'env', env: kvps(args, 'ENV') };
    case 'maintainer': {
      const maintainer = one('MAINTAINER');
      flags.parse();
      return { ...base, kind: 'maintainer', maintainer };
    }
    case 'label':
      flags.parse();
      return { ...base, kind: 'label', labels: kvps(args, 'LABEL') };
    case 'add': {
      if (args.length < 2) throw new Error('ADD requires at least two arguments, but only one was provided. Destination could not be determined');
      flags.addString('chown').addString('chmod').addBool('link').addBool('keep-git-dir').addString('checksum').addBool('unpack').addStrings('exclude').parse();
      return {
        ...base, kind: 'add', ...sourcesAndDest(node, args, 'ADD'), chown: flags.string('chown'), chmod: flags.string('chmod'),
        link: flags.bool('link'), checksum: flags.string('checksum'), excludes: flags.strings('exclude'),
        keepGitDir: flags.isUsed('keep-git-dir') ? flags.bool('keep-git-dir') : undefined,
        unpack: flags.isUsed('unpack') ? flags.bool('unpack') : undefined,
      };
    }
    case 'copy': {
      if (args.length < 2) throw new Error('COPY requires at least two arguments, but only one was provided. Destination could not be determined');
      flags.addString('chown').addString('from').addString('chmod').addBool('link').addStrings('exclude').addBool('parents').parse();
      return {
        ...base, kind: 'copy', ...sourcesAndDest(node, args, 'COPY'), from: flags.string('from'), chown: flags.string('chown'),
        chmod: flags.string('chmod'), link: flags.bool('link'), parents: flags.bool('parents'), excludes: flags.strings('exclude'),
      };
    }
    case 'from': {
      let name = '';
      if (args.length === 3 && args[1].toLowerCase() === 'as') {
        name = args[2].toLowerCase();
        if (!STAGE_NAME.test(name)) throw new Error(`invalid name for build stage: ${goQuoteSimple(args[2])}, name can't start with a number or contain symbols`);
      } else if (args.length !== 1) {
        throw new Error('FROM requires either one or three arguments');
      }
      flags.addString('platform').parse();
      return { kind: 'from', name, baseName: args[0], platform: flags.string('platform'), code: base.code, startLine: base.startLine, endLine: base.endLine };
    }
    case 'onbuild': {
      if (args.length === 0) throw new Error('ONBUILD requires at least one argument');
      flags.parse();
      const trig = args[0].trim().toUpperCase();
      if (trig === 'ONBUILD') throw new Error('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (trig === 'MAINTAINER' || trig === 'FROM') throw new Error(`${trig} isn't allowed as an ONBUILD trigger`);
      let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
      for (const h of node.heredocs) expression += '\n' + h.content + h.name;
      const child = node.next?.children[0];
      let trigger: Instruction | undefined;
      if (child) {
        try {
          const t = parseInstruction({ ...child, heredocs: node.heredocs, startLine: node.startLine, endLine: node.endLine });
          if (t.kind !== 'from') trigger = t;
        } catch {
          trigger = undefined;
        }
      }
      return { ...base, kind: 'onbuild', expression, trigger };
    }
    case 'workdir': {
      const path = one('WORKDIR');
      flags.parse();
      return { ...base, kind: 'workdir', path };
    }
    case 'run': {
      flags.addStrings('mount').addString('network', 'default').addString('security', 'sandbox').parse();
      const network = flags.string('network');
      if (!['default', 'none', 'host'].includes(network)) throw new Error(`invalid network mode ${goQuoteSimple(network)}`);
      const security = flags.string('security');
      if (!['sandbox', 'insecure'].includes(security)) throw new Error(`security ${goQuoteSimple(security)} is not valid`);
      const mountSpecs = flags.strings('mount');
      for (const spec of mountSpecs) {
        const from = mountFrom(spec);
        const idx = from.indexOf('$');
        if (idx !== -1 && idx !== from.length - 1) throw new Error("'from' doesn't support variable expansion, define alias stage instead");
      }
      return {
        ...base, kind: 'run', ...commandLine(node, args), mountSpecs, network: network as 'default' | 'none' | 'host',
        security, flagsUsed: flags.usedNames(),
      };
    }
    case 'cmd':
      flags.parse();
      return { ...base, kind: 'cmd', ...commandLine(node, args) };
    case 'entrypoint':
      flags.parse();
      return { ...base, kind: 'entrypoint', ...commandLine(node, args) };
    case 'healthcheck':
      return { ...base, kind: 'healthcheck', health: parseHealthcheck(args, node, flags) };
    case 'expose':
      if (args.length === 0) throw new Error('EXPOSE requires at least one argument');
      flags.parse();
      return { ...base, kind: 'expose', ports: [...args].sort() };
    case 'user': {
      const user = one('USER');
      flags.parse();
      return { ...base, kind: 'user', user };
    }
    case 'volume': {
      if (args.length === 0) throw new Error('VOLUME requires at least one argument');
      flags.parse();
      const volumes = args.map((v) => v.trim());
      if (volumes.some((v) => v === '')) throw new Error('VOLUME specified can not be an empty string');
      return { ...base, kind: 'volume', volumes };
    }
    case 'stopsignal':
      return { ...base, kind: 'stopsignal', signal: one('STOPSIGNAL') };
    case 'arg': {
      if (args.length < 1) throw new Error('ARG requires at least one argument');
      const defs = args.map((a): ArgDef => {
        const i = a.indexOf('=');
        if (i < 0) return { key: a };
        if (i === 0) throw new Error('ARG names can not be blank');
        return { key: a.slice(0, i), value: a.slice(i + 1) };
      });
      return { ...base, kind: 'arg', args: defs };
    }
    case 'shell': {
      flags.parse();
      const c = commandLine(node, args);
      if (c.cmdLine.length === 0) throw new Error('SHELL requires at least one argument');
      if (c.prependShell) throw new Error(`SHELL requires the arguments to be in JSON form`);
      return { ...base, kind: 'shell', shell: c.cmdLine };
    }
  }
  throw new Error(withSuggestion(`unknown instruction: ${node.value}`, node.value, COMMANDS, false));
}

/** The LABEL docker appends to the last stage for each `--label` option (sorted by key, not expanded). */
export function labelOptionInstructions(labels: Readonly<Record<string, string>>): Instruction[] {
  return Object.keys(labels).sort().map((key) => ({
    kind: 'label', name: 'label', code: `LABEL ${key}=${labels[key]}`, startLine: 0, endLine: 0,
    labels: [{ key, value: labels[key], noDelim: false }], noExpand: true,
  }));
}

/** Turns a parsed AST into stages. Throws {@link DockerfileParseError} with docker's `dockerfile parse error on line N:`. */
export function buildStages(ast: AstNode): { stages: Stage[]; metaArgs: Extract<Instruction, { kind: 'arg' }>[] } {
  const stages: Stage[] = [];
  const metaArgs: Extract<Instruction, { kind: 'arg' }>[] = [];
  for (const n of ast.children) {
    let inst: Instruction | FromInstruction;
    try {
      inst = parseInstruction(n);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new DockerfileParseError(`dockerfile parse error on line ${n.startLine}: ${msg}`, n.startLine, n.endLine, err);
    }
    if (inst.kind === 'from') {
      stages.push({
        index: stages.length, name: inst.name, baseName: inst.baseName, platform: inst.platform, code: inst.code,
        startLine: inst.startLine, endLine: inst.endLine, instructions: [],
      });
    } else if (stages.length === 0 && inst.kind === 'arg') {
      metaArgs.push(inst);
    } else if (stages.length === 0) {
      throw new DockerfileParseError('no build stage in current context', n.startLine, n.endLine);
    } else {
      stages[stages.length - 1].instructions.push(inst);
    }
  }
  return { stages, metaArgs };
}

/** Parses Dockerfile text all the way to typed stages. */
export function parseDockerfileStages(text: string): Dockerfile {
  const parsed = parseDockerfile(text);
  const { stages, metaArgs } = buildStages(parsed.ast);
  return {
    stages, metaArgs, escapeToken: parsed.escapeToken, directives: parsed.directives,
    warnings: parsed.warnings.map((w) => w.short),
  };
}
