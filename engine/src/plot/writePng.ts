import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes PNG bytes atomically: a temp file beside `path`, then a rename, so readers never see half a file. */
export function writePng(path: string, png: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, png);
  renameSync(tmp, path);
}
