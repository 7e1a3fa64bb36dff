/** Reads rendered PNGs back for plot tests: pixels addressed in layout coordinates. */
import { PNG } from 'pngjs';

export type RGB = [number, number, number];

export interface Image {
  width: number;
  height: number;
  /** Colour at layout point (x, y), i.e. at PNG pixel (x·scale, y·scale). */
  at(x: number, y: number): RGB;
  /** Pixels in a layout-coordinate box that differ from white by more than `tol` in some channel. */
  ink(box: { x: number; y: number; w: number; h: number }, tol?: number): number;
}

export function decode(png: Buffer, scale: number): Image {
  const img = PNG.sync.read(png);
  const px = (X: number, Y: number): RGB => {
    const i = (img.width * Y + X) << 2;
    return [img.data[i], img.data[i + 1], img.data[i + 2]];
  };
  const clampX = (v: number) => Math.min(img.width - 1, Math.max(0, v));
  const clampY = (v: number) => Math.min(img.height - 1, Math.max(0, v));
  return {
    width: img.width,
    height: img.height,
    at: (x, y) => px(clampX(Math.floor(x * scale)), clampY(Math.floor(y * scale))),
    ink(box, tol = 40) {
      let count = 0;
      for (let Y = clampY(Math.floor(box.y * scale)); Y < clampY(Math.ceil((box.y + box.h) * scale)); Y++)
        for (let X = clampX(Math.floor(box.x * scale)); X < clampX(Math.ceil((box.x + box.w) * scale)); X++)
          if (px(X, Y).some((c) => 255 - c > tol)) count++;
      return count;
    },
  };
}

export function hexToRgb(hex: string): RGB {
  const v = parseInt(hex.replace('#', ''), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Largest per-channel difference. */
export function colorDistance(a: RGB, b: RGB): number {
  return Math.max(...a.map((c, i) => Math.abs(c - b[i])));
}
