import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';

/**
 * The built file that runs a source entry point: `src/main.ts` → `dist/main.js`,
 * `src/cli/main.ts` → `dist/cli/main.js` (built by the build script in the
 * global setup, exactly what `npm start` and `alaw` run), `test/support/x.ts` →
 * `support/x.js` (bundled the same way), all under this run's build directory.
 */
export function builtEntry(entry: string): string {
  const dir = inject('buildDir');
  const rel = path.relative(process.cwd(), path.resolve(entry)).split(path.sep).join('/');
  const src = /^src\/(.+)\.ts$/.exec(rel);
  if (src) return path.join(dir, 'dist', `${src[1]}.js`);
  const support = /^test\/support\/(.+)\.ts$/.exec(rel);
  if (support) return path.join(dir, 'support', `${support[1]}.js`);
  throw new Error(`no built file for ${entry}: add it to test/globalSetup.ts`);
}

/** Node arguments that run an entry point from its bundle, with source-mapped stack traces. */
export function nodeArgs(entry: string, args: string[] = []): string[] {
  return ['--enable-source-maps', builtEntry(entry), ...args];
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(entry: string, args: string[], env: Record<string, string>, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs(entry, args), { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  logs: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Starts the service and resolves once it logs that it is listening. */
export function startServer(env: Record<string, string>, timeoutMs = 60_000, entry = 'src/main.ts'): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    // Log files go to a directory of their own unless the test names one (never the checkout's logs/).
    const logDir = env.ALAW_LOG_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-logs-'));
    const child = spawn(process.execPath, nodeArgs(entry), {
      env: { ...process.env, ALAW_PORT: '0', ALAW_LOG_DIR: logDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in time:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /"port":(\d+),"instance_id"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          child,
          port: Number(m[1]),
          logs: () => out,
          stop: (signal = 'SIGTERM') =>
            new Promise((res) => {
              if (child.exitCode !== null || child.signalCode !== null) return res(child.exitCode);
              child.once('exit', (code) => res(code));
              child.kill(signal);
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
}
