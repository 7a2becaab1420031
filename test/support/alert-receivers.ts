import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A Mattermost/Slack-style incoming webhook: records each JSON body; `failWith` makes it answer an error. */
export async function startWebhook(): Promise<{ url: string; posts: Record<string, unknown>[]; failWith: number | null; close(): Promise<void> }> {
  const state = { posts: [] as Record<string, unknown>[], failWith: null as number | null };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      if (state.failWith) return res.writeHead(state.failWith).end('nope');
      state.posts.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/abc`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}

/** A real SMTP server (smtp-server) on loopback that keeps every message it accepts, with its envelope. */
export async function startSmtp(): Promise<{
  port: number;
  mails: { from: string; to: string[]; raw: string; user: string | undefined }[];
  /** Every AUTH the server received (username), accepted or not: credentials that crossed the wire. */
  authAttempts: string[];
  close(): Promise<void>;
}> {
  const authAttempts: string[] = [];
  const mails: { from: string; to: string[]; raw: string; user: string | undefined }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _session, cb) {
      authAttempts.push(auth.username ?? '');
      if (auth.username === 'alerts' && auth.password === 'smtp-secret') cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString('utf8')));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          user: session.user as string | undefined,
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.server.address() as AddressInfo).port, mails, authAttempts, close: () => new Promise<void>((r) => server.close(() => r())) };
}
