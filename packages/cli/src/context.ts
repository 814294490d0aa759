import http from 'node:http';
import type Dockerode from 'dockerode';
import { API_VERSION } from '@tdock/core';
import { cannotConnectMessage, modemOptions, negotiateVersion, type ModemOptions } from './connection.js';
import { StatusError, isConnectionError } from './exit.js';

/** Where the CLI writes and what it reads; injected so tests can run it in-process. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin?: NodeJS.ReadableStream;
}

/** What every command gets: the streams, the daemon address and a lazily made client. */
export class CommandContext {
  private client?: Dockerode;
  private version?: string;

  constructor(
    readonly io: CliIo,
    readonly host: string,
  ) {}

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  /** The negotiated API version, after `docker()` has pinged the daemon. */
  get apiVersion(): string {
    return this.version ?? API_VERSION;
  }

  /** The dockerode client, after one `HEAD /_ping` that negotiates the API version. */
  async docker(): Promise<Dockerode> {
    if (this.client) return this.client;
    const opts = modemOptions(this.host);
    const serverVersion = await this.ping(opts);
    this.version = negotiateVersion(serverVersion);
    const { default: Docker } = await import('dockerode');
    this.client = new Docker({ ...opts, version: `v${this.version}` });
    return this.client;
  }

  private ping(opts: ModemOptions): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { method: 'HEAD', path: '/_ping', socketPath: opts.socketPath as string | undefined, host: opts.host, port: opts.port, ...(opts.agent ? { agent: opts.agent } : {}) },
        (res) => {
          res.resume();
          const v = res.headers['api-version'];
          resolve(Array.isArray(v) ? v[0] : v);
        },
      );
      req.on('error', (err) => reject(isConnectionError(err) ? new StatusError(1, cannotConnectMessage(this.host)) : err));
      req.end();
    });
  }
}
