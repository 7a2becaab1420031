import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Counts tasks running at once across worker processes (test/support/queue-server.ts
 * reports `POST /enter` and `POST /leave`). The count lives in this one process and
 * changes in the order the reports arrive, so its peak needs no timestamps from
 * several processes (whose clocks are each offset by their own start-up; see
 * docs/DEVELOPMENT.md, "the flaky three-instance test").
 */
export class ConcurrencyProbe {
  running = 0;
  peak = 0;
  entered = 0;
  private readonly server = http.createServer((req, res) => {
    const ev = new URL(req.url ?? '/', 'http://probe').pathname;
    if (req.method === 'POST' && ev === '/enter') {
      this.running += 1;
      this.entered += 1;
      this.peak = Math.max(this.peak, this.running);
    } else if (req.method === 'POST' && ev === '/leave') {
      this.running -= 1;
    } else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(204).end();
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
