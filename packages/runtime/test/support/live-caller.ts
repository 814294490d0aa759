// A separate caller process for the live-restore test: creates and starts a container, prints
// "running", then idles until it is killed with SIGKILL.
import { Runtime, defaultSpec, type RootfsMount } from '@tdock/runtime';

const [stateRoot, socketDir, id, rootfsJson, bundle] = process.argv.slice(2) as [string, string, string, string, string];
const runtime = new Runtime({ stateRoot, socketDir });
const spec = defaultSpec({ args: ['sh', '-c', 'trap "exit 7" TERM; echo up; while :; do sleep 0.1; done'] });
await runtime.run(id, { bundle, spec, rootfs: JSON.parse(rootfsJson) as RootfsMount });
process.stdout.write('running\n');
setInterval(() => undefined, 1000);
