import { writeFileAtomic } from '../atomicWrite';

/** Writes PNG bytes atomically (temp file beside `path`, then a rename), creating folders. */
export function writePng(path: string, png: Buffer): void {
  writeFileAtomic(path, png);
}
