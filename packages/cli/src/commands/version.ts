import os from 'node:os';
import { API_VERSION, TDOCK_VERSION } from '@tdock/core';
import type { CommandContext } from '../context.js';
import { makeCommand, parseArgs } from '../flags.js';

interface VersionComponent {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

interface ServerVersion {
  Platform?: { Name?: string };
  Components?: VersionComponent[];
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  BuildTime?: string;
}

function goArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

/** `tdock version`: the client's version, then the server's as `docker version` prints them. */
export async function run(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('version', '[OPTIONS]', 'Show the tdock version information').option('-f, --format <string>', 'Format output using a custom template');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  const client = [
    'Client:',
    ` Version:           ${TDOCK_VERSION}`,
    ` API version:       ${API_VERSION}`,
    ` Node version:      ${process.version}`,
    ` OS/Arch:           ${os.platform()}/${goArch()}`,
  ];
  ctx.out(client.join('\n') + '\n\n');
  const docker = await ctx.docker();
  const v = (await docker.version()) as unknown as ServerVersion;
  const lines = [`Server: ${v.Platform?.Name ?? ''}`.trimEnd()];
  for (const c of v.Components ?? []) {
    lines.push(` ${c.Name}:`, `  Version:          ${c.Version}`);
    if (c.Name === 'Engine') {
      lines.push(`  API version:      ${v.ApiVersion} (minimum version ${v.MinAPIVersion})`);
      if (v.GitCommit) lines.push(`  Git commit:       ${v.GitCommit}`);
      if (v.BuildTime) lines.push(`  Built:            ${v.BuildTime}`);
      lines.push(`  OS/Arch:          ${v.Os}/${v.Arch}`);
    } else if (c.Details?.GitCommit) lines.push(`  GitCommit:        ${c.Details.GitCommit}`);
  }
  ctx.out(lines.join('\n') + '\n');
  return 0;
}
