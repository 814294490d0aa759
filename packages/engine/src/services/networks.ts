// The networks that exist until the networking service is wired (DESIGN §8): the predefined
// `bridge`, `host` and `none`. TODO(networking): replace with the NetworkManager-backed service;
// until then `bridge`/`default` containers get no interface but loopback (like `none`).
import { createHash } from 'node:crypto';
import { notFound, notImplemented, TdockError } from '@tdock/core';
import type { Filters } from '../api/query.js';
import type { NetworkService } from '../api/services.js';
import type { JsonObject } from '../api/types.js';
import type { ContainerStore } from './records.js';

const PREDEFINED = [
  { name: 'bridge', driver: 'bridge' },
  { name: 'host', driver: 'host' },
  { name: 'none', driver: 'null' },
];

/** Predefined networks only; create/connect answer 501 until networking lands. */
export class PredefinedNetworks implements NetworkService {
  private readonly created = new Date().toISOString();

  constructor(private readonly store: ContainerStore, private readonly engineId: string) {}

  private id(name: string): string {
    return createHash('sha256').update(`${this.engineId}/${name}`).digest('hex');
  }

  private view(n: { name: string; driver: string }): JsonObject {
    const containers: JsonObject = {};
    for (const r of this.store.all()) {
      if (!(n.name in r.Networks) || !r.State.Running) continue;
      containers[r.Id] = { Name: r.Name.slice(1), EndpointID: '', MacAddress: '', IPv4Address: '', IPv6Address: '' };
    }
    return {
      Name: n.name, Id: this.id(n.name), Created: this.created, Scope: 'local', Driver: n.driver, EnableIPv4: true, EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
      Containers: containers, Options: {}, Labels: {},
    };
  }

  private find(ref: string): { name: string; driver: string } {
    const n = PREDEFINED.find((p) => p.name === ref || (ref.length >= 1 && /^[a-f0-9]+$/.test(ref) && this.id(p.name).startsWith(ref)));
    if (!n) throw notFound(`network ${ref} not found`);
    return n;
  }

  async list(filters: Filters): Promise<JsonObject[]> {
    return PREDEFINED.filter((n) => {
      const names = filters.get('name');
      const drivers = filters.get('driver');
      const ids = filters.get('id');
      return (!names?.length || names.some((x) => n.name.includes(x))) && (!drivers?.length || drivers.includes(n.driver)) && (!ids?.length || ids.some((x) => this.id(n.name).startsWith(x)));
    }).map((n) => this.view(n));
  }

  async inspect(id: string): Promise<JsonObject> {
    return this.view(this.find(id));
  }

  async create(): Promise<{ Id: string; Warning: string }> {
    throw notImplemented('user-defined networks are not implemented yet (the networking service is not wired)');
  }

  async remove(id: string): Promise<void> {
    const n = this.find(id);
    throw new TdockError('forbidden', `${n.name} is a pre-defined network and cannot be removed`);
  }

  async connect(): Promise<void> {
    throw notImplemented('network connect is not implemented yet');
  }

  async disconnect(): Promise<void> {
    throw notImplemented('network disconnect is not implemented yet');
  }

  async prune(): Promise<{ NetworksDeleted: string[] }> {
    return { NetworksDeleted: [] };
  }
}
