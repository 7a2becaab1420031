import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Starts `node dist/main.js` with the given environment and resolves when it is listening.
 * `cwd`: another checkout to run (its dist/main.js, from that directory), e.g. a git ref unpacked by bench/overload.bench.ts.
 */
export function startService(
  env: Record<string, string>,
  options: { cwd?: string } = {},
): Promise<{ child: ChildProcess; port: number; wallMs: number; log: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // Log files in a directory of their own (never the checkout's logs/) unless the caller names one.
    const logDir = env.ALAW_LOG_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-bench-logs-'));
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: options.cwd,
      env: { ...process.env, ALAW_PORT: '0', ALAW_LOG_LEVEL: 'info', ALAW_LOG_DIR: logDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /"port":(\d+),"instance_id"/.exec(log);
      if (m) resolve({ child, port: Number(m[1]), wallMs: performance.now() - started, log });
    });
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('exit', (code) => reject(new Error(`service exited (${code}):\n${log}`)));
  });
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** CPU seconds a process has used (Linux /proc: utime + stime, clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** autocannon GETs against 127.0.0.1:port, cycling through `paths`. */
export function loadPaths(
  port: number,
  paths: readonly string[],
  options: { connections: number; seconds: number; headers?: Record<string, string> },
): Promise<autocannon.Result> {
  let i = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: options.connections,
    duration: options.seconds,
    headers: options.headers,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length]! }) }],
  });
}
