import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { E } from '../errors/index.js';

/**
 * The URL for pg_dump/psql without its password, and the environment that carries it (PGPASSWORD):
 * a password in the arguments would be visible to every user of the machine in `ps`.
 */
export function pgToolTarget(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = u.password ? decodeURIComponent(u.password) : (u.searchParams.get('password') ?? '');
  u.password = '';
  u.searchParams.delete('password');
  return { dbname: u.toString(), env: password ? { ...process.env, PGPASSWORD: password } : process.env };
}

/** Runs a program with stdin/stdout piped as given; rejects with its stderr when it fails or cannot start. */
export function runTool(
  cmd: string,
  args: string[],
  io: { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream },
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [io.stdin ? 'pipe' : 'ignore', io.stdout ? 'pipe' : 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? E.BACKUP_TOOL.error({ tool: cmd, problem: 'missing' })
          : E.BACKUP_TOOL.error({ tool: cmd, problem: 'error', reason: err.message }),
      ),
    );
    if (io.stdin) io.stdin.pipe(child.stdin!);
    const out = io.stdout ? pipeline(child.stdout!, io.stdout) : Promise.resolve();
    child.on('close', (code) => {
      out.then(() => (code === 0 ? resolve() : reject(E.BACKUP_TOOL.error({ tool: cmd, problem: 'exit', code, stderr: stderr.trim().slice(0, 500) }))), reject);
    });
  });
}
