// Health prober for bench/overload.bench.ts: a process of its own that checks GET /api/queue/health
// over one keep-alive connection every ~20 ms until a line arrives on stdin, then prints
// {"ms":[…],"statuses":{…}} (latencies of every check after three warm-up ones) and exits.
//
//   node bench/health-probe.mjs <port> [intervalMs]
import http from 'node:http';

const port = Number(process.argv[2]);
const intervalMs = Number(process.argv[3] ?? 20);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let go = true;
process.stdin.on('data', () => (go = false));
/** @type {number[]} */
const ms = [];
/** @type {Record<string, number>} */
const statuses = {};

/** @returns {Promise<number>} the status, 0 on a connection error */
const check = () =>
  new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/queue/health', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });

let warm = 3;
process.stdout.write('ready\n');
while (go) {
  const t0 = performance.now();
  const status = await check();
  const took = performance.now() - t0;
  if (warm > 0) warm--;
  else {
    ms.push(took);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  await new Promise((r) => setTimeout(r, Math.max(1, intervalMs - took)));
}
process.stdout.write(JSON.stringify({ ms, statuses }) + '\n');
process.exit(0);
