/** A progress bar on stderr for CLI jobs: redrawn in place on a terminal, a line per 10% otherwise. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): (done: number, total: number) => void {
  const t0 = Date.now();
  let lastDecile = -1;
  return (done, total) => {
    const frac = total ? done / total : 1;
    const secs = (Date.now() - t0) / 1000;
    const eta = frac > 0 ? secs / frac - secs : 0;
    const text = `${label} ${done}/${total} (${(100 * frac).toFixed(0)}%) ${secs.toFixed(1)}s elapsed, ~${eta.toFixed(0)}s left`;
    if (stream.isTTY) {
      const width = 24;
      const filled = Math.round(frac * width);
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K${done >= total ? '\n' : ''}`);
    } else if (Math.floor(frac * 10) > lastDecile || done >= total) {
      lastDecile = Math.floor(frac * 10);
      stream.write(`${text}\n`);
    }
  };
}
