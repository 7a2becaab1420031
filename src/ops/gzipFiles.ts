import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

/** `from` compressed into `to` (log archives, backups). */
export async function gzipFile(from: string, to: string): Promise<void> {
  await pipeline(fs.createReadStream(from), zlib.createGzip({ level: 6 }), fs.createWriteStream(to));
}

/** `from` decompressed into `to`. */
export async function gunzipFile(from: string, to: string): Promise<void> {
  await pipeline(fs.createReadStream(from), zlib.createGunzip(), fs.createWriteStream(to));
}

/**
 * The decompressed content of a .gz file as a stream. An error of either the
 * file or the decompression (unreadable file, broken gzip) reaches the reader
 * of the returned stream, never the process as an unhandled 'error'.
 */
export function gunzipStream(file: string): zlib.Gunzip {
  const gunzip = zlib.createGunzip();
  pipeline(fs.createReadStream(file), gunzip).catch((err: unknown) => gunzip.destroy(err as Error));
  return gunzip;
}
