// A small loopback token service and gate, because the kit's registry (distribution 2.8) can only do
// bearer auth with a JWT-signing token server (certificates, docker_auth), which is not available
// offline. This follows the client side of the documented distribution token protocol
// (docs/spec/auth/token.md): the gate answers 401 with
// `WWW-Authenticate: Bearer realm=...,service=...,scope=...`; GET <realm>?service=&scope=...
// (anonymous, or with Basic credentials) returns {"token","access_token","expires_in","issued_at"};
// the gate checks the token's granted scopes and proxies the request to the real registry.
import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface TokenServer {
  host: string;
  username: string;
  password: string;
  /** Token requests received, as `scope` lists. */
  tokenRequests: Array<{ scopes: string[]; account?: string }>;
  /** When set, blob GETs are redirected (307) to a second loopback "storage" server. */
  redirectBlobs: boolean;
  /** Authorization headers the storage server received (must stay empty: auth is dropped across hosts). */
  storageAuthorizations: string[];
  /** Requests served by the storage server. */
  storageRequests: number;
  /** The most blob GETs the gate had in flight at once. */
  maxConcurrentBlobs: number;
  /** Invalidates every token issued so far (the next use gets a 401). */
  revokeAll(): void;
  stop(): Promise<void>;
}

interface Grant {
  /** repository path → actions */
  access: Map<string, Set<string>>;
}

const SERVICE = 'tdk-token-test';

export async function startTokenServer(upstreamHost: string): Promise<TokenServer> {
  const username = 'bearer-user';
  const password = 'bearer-pass';
  const tokens = new Map<string, Grant>();
  const tokenRequests: TokenServer['tokenRequests'] = [];
  let self = '';
  let inFlight = 0;

  function issue(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    const auth = req.headers.authorization;
    let user: string | undefined;
    if (auth?.startsWith('Basic ')) {
      const [u, p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (u !== username || p !== password) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
      user = u;
    }
    tokenRequests.push({ scopes, ...(url.searchParams.get('account') ? { account: url.searchParams.get('account') ?? '' } : {}) });
    const access = new Map<string, Set<string>>();
    for (const scope of scopes) {
      const [type, name, actions] = [scope.slice(0, scope.indexOf(':')), scope.slice(scope.indexOf(':') + 1, scope.lastIndexOf(':')), scope.slice(scope.lastIndexOf(':') + 1)];
      if (type !== 'repository') continue;
      // Anonymous users may pull public/*; the user may pull and push anything.
      const allowed = actions.split(',').filter((a) => (user ? true : a === 'pull' && name.startsWith('public/')));
      access.set(name, new Set(allowed));
    }
    const token = randomBytes(16).toString('hex');
    tokens.set(token, { access });
    res.writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  }

  function gate(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(url.pathname);
    const name = m?.[1];
    const need = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push';
    const token = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : undefined;
    const grant = token ? tokens.get(token) : undefined;
    const from = url.searchParams.get('from');
    const ok = grant !== undefined && (name === undefined || (grant.access.get(name)?.has(need) === true
      && (from === null || grant.access.get(from)?.has('pull') === true)));
    if (!ok) {
      const scope = name ? ` scope="repository:${name}:${need === 'push' ? 'pull,push' : 'pull'}",` : '';
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': `Bearer realm="http://${self}/token", service="${SERVICE}",${scope} error="invalid_token"`.replace(/,$/, ''),
      }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] }));
      return;
    }
    if (state.redirectBlobs && req.method === 'GET' && /\/blobs\/sha256:/.test(url.pathname)) {
      res.writeHead(307, { location: `http://${storageHost}/storage${url.pathname}`, 'content-length': '0' }).end();
      return;
    }
    if (req.method === 'GET' && /\/blobs\/sha256:/.test(url.pathname)) {
      inFlight++;
      state.maxConcurrentBlobs = Math.max(state.maxConcurrentBlobs, inFlight);
      res.on('close', () => inFlight--);
    }
    proxy(req, res, req.url ?? '/');
  }

  function proxy(req: IncomingMessage, res: ServerResponse, path: string): void {
    const headers = { ...req.headers };
    delete headers.authorization;
    const up = request({ host: upstreamHost.split(':')[0], port: Number(upstreamHost.split(':')[1]), method: req.method, path, headers }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${self}`);
    if (url.pathname === '/token') issue(req, res, url);
    else gate(req, res, url);
  });
  // Blob storage on another port (another host, as S3 would be): serves what it is redirected to.
  const storage: Server = createServer((req, res) => {
    state.storageRequests++;
    if (req.headers.authorization) state.storageAuthorizations.push(req.headers.authorization);
    proxy(req, res, (req.url ?? '/').replace(/^\/storage/, ''));
  });
  const listen = async (s: Server): Promise<string> => {
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const address = s.address();
    return `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  };
  self = await listen(server);
  const storageHost = await listen(storage);
  const state: TokenServer = {
    host: self, username, password, tokenRequests, redirectBlobs: false, storageAuthorizations: [], storageRequests: 0, maxConcurrentBlobs: 0,
    revokeAll: () => tokens.clear(),
    async stop() {
      for (const s of [server, storage]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
  return state;
}
