#!/usr/bin/env node
// The kit's command line, for manual use:
//   node packages/testkit/dist/src/cli.js fixtures            build the cache (if needed) and print where
//   node packages/testkit/dist/src/cli.js registry [--auth basic|--tls]   start a registry until Ctrl-C
import { fixtures } from './fixtures.js';
import { startRegistry, type RegistryOptions } from './registry.js';

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const cacheRoot = process.env.TDOCK_KIT_CACHE;
  if (cmd === 'fixtures') {
    const f = await fixtures({ ...(cacheRoot ? { cacheRoot } : {}), log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`${f.dir}\n`);
    for (const p of f.pushed) process.stdout.write(`  ${p.reference}  ${p.digest}  ${p.mediaType}\n`);
    return 0;
  }
  if (cmd === 'registry') {
    const opts: RegistryOptions = {};
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '--tls') opts.tls = true;
      else if (rest[i] === '--auth' && rest[i + 1] === 'basic') { opts.auth = 'basic'; i++; }
      else if (rest[i] === '--auth=basic') opts.auth = 'basic';
      else { process.stderr.write(`unknown option ${rest[i]}\n`); return 2; }
    }
    const reg = await startRegistry(opts);
    process.stdout.write(`${reg.host}\n`);
    if (reg.username) process.stdout.write(`user ${reg.username} password ${reg.password}\n`);
    if (reg.caFile) process.stdout.write(`ca ${reg.caFile}\n`);
    process.stderr.write('serving until interrupted (Ctrl-C)\n');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await reg.stop();
    return 0;
  }
  process.stderr.write('usage: cli.js fixtures | registry [--auth basic] [--tls]\n');
  return 2;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
