/**
 * A progress bar on stderr for CLI jobs: redrawn in place on a terminal, a line per 10% otherwise.
 * The time left comes from the rate since the first call, so a resumed job (starting part done)
 * is not promised an early finish; a call may change the label (the checkpoint a study is at).
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): (done: number, total: number, label?: string) => void {
  const t0 = Date.now();
  let done0: number | undefined;
  let lastDecile = -1;
  return (done, total, newLabel) => {
    if (newLabel !== undefined) label = newLabel;
    done0 ??= done;
    const frac = total ? done / total : 1;
    const secs = (Date.now() - t0) / 1000;
    const eta = done > done0 ? ((total - done) * secs) / (done - done0) : undefined;
    const text = `${label} ${done}/${total} (${(100 * frac).toFixed(0)}%) ${secs.toFixed(1)}s elapsed${eta === undefined ? '' : `, ~${eta.toFixed(0)}s left`}`;
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
