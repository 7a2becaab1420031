import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { instanceIdFile, resolveInstanceId } from './instanceId.js';
import { heldByOtherProcess } from './liveness.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-instance-id-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('resolveInstanceId: one id across restarts', () => {
  it('makes an id at the first start, keeps it beside the queue database, and reads it back', () => {
    const file = instanceIdFile(path.join(dir, 'a', 'queue.db'));
    expect(file).toBe(path.join(dir, 'a', 'instance-id'));
    const first = resolveInstanceId('', file, 'web 01.example');
    expect(first).toMatchObject({ source: 'created', file });
    expect(first.id).toMatch(/^web-01\.example-[0-9a-f]{8}$/u);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${first.id}\n`);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['instance-id']); // no temporary file left
    expect(resolveInstanceId('', file, 'another-host')).toEqual({ id: first.id, source: 'persisted', file });
  });

  it('the configured INSTANCE_ID wins and writes nothing', () => {
    const file = path.join(dir, 'b', 'instance-id');
    expect(resolveInstanceId('m1', file)).toEqual({ id: 'm1', source: 'configured', file: null });
    expect(fs.existsSync(file)).toBe(false);
  });

  it('replaces a damaged file, and still gives an id when the directory cannot be written', () => {
    const file = path.join(dir, 'c', 'instance-id');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, 'not valid id\u0000\n');
    const fixed = resolveInstanceId('', file, 'h');
    expect(fixed.source).toBe('created');
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(fixed.id);
    const blocked = path.join(dir, 'c', 'instance-id', 'nested', 'instance-id'); // a file where a directory must be
    const r = resolveInstanceId('', blocked, 'h');
    expect(r.id).toMatch(/^h-[0-9a-f]{8}$/u);
    expect(r.persistError).toBeTruthy();
  });
});

describe('heldByOtherProcess: a twin, or this instance’s own earlier life', () => {
  const self = { host: 'h1', pid: process.pid };
  it('another host with the id is another process', () => {
    expect(heldByOtherProcess({ host: 'h2', pid: process.pid }, self)).toBe(true);
  });
  it('this pid on this host is the earlier life (a container restarts with the same pid)', () => {
    expect(heldByOtherProcess({ host: 'h1', pid: process.pid }, self)).toBe(false);
  });
  it('a live pid on this host is another process; a pid that is gone is the earlier life', () => {
    expect(heldByOtherProcess({ host: 'h1', pid: process.ppid }, self)).toBe(true);
    expect(heldByOtherProcess({ host: 'h1', pid: 2 ** 22 + 12345 }, self)).toBe(false);
  });
});
