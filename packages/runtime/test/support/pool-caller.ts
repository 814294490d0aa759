// A separate process that creates a container from the warm pool with nothing else keeping its event
// loop alive, then prints the exit code: pooled shims are unref'd while idle and must be re-ref'd.
import { Runtime, defaultSpec, type RootfsMount } from '@tdock/runtime';

const [stateRoot, socketDir, id, rootfsJson, bundle] = process.argv.slice(2) as [string, string, string, string, string];
const runtime = new Runtime({ stateRoot, socketDir });
await runtime.prestart(1);
await runtime.run(id, { bundle, spec: defaultSpec({ args: ['sh', '-c', 'exit 6'] }), rootfs: JSON.parse(rootfsJson) as RootfsMount });
const exit = await runtime.wait(id);
await runtime.delete(id);
runtime.close();
process.stdout.write(`exit ${exit.exitCode}\n`);
