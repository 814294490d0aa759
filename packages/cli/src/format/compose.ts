import type { ApiContainerSummary } from './api-types.js';
import { displayablePorts, goQuote, type RowOptions } from './containers.js';
import { GoStruct } from './template.js';
import { goTimeString, UTC } from './time.js';
import { ellipsis, humanDuration, humanSizeWithPrecision, truncateId } from './units.js';

/** `docker compose ps`'s default table (docker/compose `cmd/formatter/container.go`). */
export const DEFAULT_COMPOSE_PS_TABLE_FORMAT = 'table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}';

export const COMPOSE_PS_HEADERS: Readonly<Record<string, string>> = {
  ID: 'CONTAINER ID',
  Name: 'NAME',
  Project: 'PROJECT',
  Service: 'SERVICE',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
};

/** A container as `compose ps` sees it: the list entry plus what compose reads from inspect. */
export interface ComposePsInput extends ApiContainerSummary {
  /** `State.ExitCode` from inspect. */
  ExitCode?: number;
  /** `State.Health.Status` from inspect (`healthy`, `unhealthy`, `starting`), or empty. */
  Health?: string;
}

/** compose's `PortPublisher`. */
export interface PortPublisher {
  URL: string;
  TargetPort: number;
  PublishedPort: number;
  Protocol: string;
}

/** One `docker compose ps` row (compose v2's `ContainerContext`). */
export class ComposeContainerContext extends GoStruct {
  readonly goTypeName = '*formatter.ContainerContext';

  constructor(
    private readonly c: ComposePsInput,
    private readonly o: RowOptions,
  ) {
    super();
  }
  ID(): string {
    return this.o.trunc ? truncateId(this.c.Id) : this.c.Id;
  }
  Name(): string {
    return (this.c.Names?.[0] ?? '').replace(/^\//, '');
  }
  Names(): string {
    const names = (this.c.Names ?? []).map((n) => n.replace(/^\//, ''));
    if (this.o.trunc) {
      const first = names.find((n) => !n.includes('/'));
      if (first !== undefined) return first;
    }
    return names.join(',');
  }
  Service(): string {
    return this.c.Labels?.['com.docker.compose.service'] ?? '';
  }
  Project(): string {
    return this.c.Labels?.['com.docker.compose.project'] ?? '';
  }
  Image(): string {
    return this.c.Image ?? '';
  }
  Command(): string {
    const cmd = this.c.Command ?? '';
    return goQuote(this.o.trunc ? ellipsis(cmd, 20) : cmd);
  }
  CreatedAt(): string {
    return goTimeString(this.c.Created * 1000, this.o.zone ?? UTC);
  }
  RunningFor(): string {
    return `${humanDuration(this.o.nowMs - this.c.Created * 1000)} ago`;
  }
  ExitCode(): number {
    return this.c.ExitCode ?? 0;
  }
  State(): string {
    return this.c.State ?? '';
  }
  Status(): string {
    return this.c.Status ?? '';
  }
  Health(): string {
    return this.c.Health ?? '';
  }
  Publishers(): PortPublisher[] {
    return [...(this.c.Ports ?? [])]
      .sort((a, b) => a.PrivatePort - b.PrivatePort)
      .map((p) => ({ URL: p.IP ?? '', TargetPort: p.PrivatePort, PublishedPort: p.PublicPort ?? 0, Protocol: p.Type }));
  }
  Ports(): string {
    return displayablePorts(this.c.Ports ?? []);
  }
  Labels(): string {
    return Object.entries(this.c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).sort().join(',');
  }
  Label(name: string): string {
    return this.c.Labels?.[name] ?? '';
  }
  Mounts(): string {
    return (this.c.Mounts ?? []).map((m) => {
      const name = m.Name ? m.Name : (m.Source ?? '');
      return this.o.trunc ? ellipsis(name, 15) : name;
    }).join(',');
  }
  LocalVolumes(): string {
    return String((this.c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
  }
  Networks(): string {
    return Object.keys(this.c.NetworkSettings?.Networks ?? {}).sort().join(',');
  }
  Size(): string {
    const srw = humanSizeWithPrecision(this.c.SizeRw ?? 0, 3);
    return (this.c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${humanSizeWithPrecision(this.c.SizeRootFs ?? 0, 3)})` : srw;
  }
}
