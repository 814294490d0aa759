import type { CommandContext } from '../context.js';
import { makeCommand, parseArgs } from '../flags.js';

/** The fields of GET /info that `tdock info` prints. */
interface Info {
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  ServerVersion?: string;
  Driver?: string;
  DriverStatus?: [string, string][];
  LoggingDriver?: string;
  CgroupDriver?: string;
  CgroupVersion?: string;
  Swarm?: { LocalNodeState?: string };
  SecurityOptions?: string[];
  KernelVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  Name?: string;
  ID?: string;
  DockerRootDir?: string;
  LiveRestoreEnabled?: boolean;
  Warnings?: string[] | null;
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)}GiB`;
}

/** `tdock info`: the daemon's figures, laid out as `docker info` lays them out. */
export async function run(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('info', '[OPTIONS]', 'Display system-wide information').option('-f, --format <string>', 'Format output using a custom template');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  const docker = await ctx.docker();
  const i = (await docker.info()) as Info;
  const lines = [
    'Server:',
    ` Containers: ${i.Containers ?? 0}`,
    `  Running: ${i.ContainersRunning ?? 0}`,
    `  Paused: ${i.ContainersPaused ?? 0}`,
    `  Stopped: ${i.ContainersStopped ?? 0}`,
    ` Images: ${i.Images ?? 0}`,
    ` Server Version: ${i.ServerVersion ?? ''}`,
    ` Storage Driver: ${i.Driver ?? ''}`,
    ...(i.DriverStatus ?? []).map(([k, v]) => `  ${k}: ${v}`),
    ` Logging Driver: ${i.LoggingDriver ?? ''}`,
    ` Cgroup Driver: ${i.CgroupDriver ?? ''}`,
    ` Cgroup Version: ${i.CgroupVersion ?? ''}`,
    ` Swarm: ${i.Swarm?.LocalNodeState ?? 'inactive'}`,
  ];
  if (i.SecurityOptions?.length) {
    lines.push(' Security Options:');
    for (const opt of i.SecurityOptions) {
      const fields = Object.fromEntries(opt.split(',').map((kv) => kv.split('=') as [string, string]));
      lines.push(`  ${fields.name ?? opt}`);
      for (const [k, v] of Object.entries(fields)) if (k !== 'name') lines.push(`   ${k[0]!.toUpperCase()}${k.slice(1)}: ${v}`);
    }
  }
  lines.push(
    ` Kernel Version: ${i.KernelVersion ?? ''}`,
    ` Operating System: ${i.OperatingSystem ?? ''}`,
    ` OSType: ${i.OSType ?? ''}`,
    ` Architecture: ${i.Architecture ?? ''}`,
    ` CPUs: ${i.NCPU ?? 0}`,
    ` Total Memory: ${gib(i.MemTotal ?? 0)}`,
    ` Name: ${i.Name ?? ''}`,
    ` ID: ${i.ID ?? ''}`,
    ` Docker Root Dir: ${i.DockerRootDir ?? ''}`,
    ` Live Restore Enabled: ${i.LiveRestoreEnabled ?? false}`,
  );
  ctx.out(lines.join('\n') + '\n');
  for (const w of i.Warnings ?? []) ctx.err(`${w}\n`);
  return 0;
}
