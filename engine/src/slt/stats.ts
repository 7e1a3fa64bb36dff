/** Small statistics over number arrays, in float64. */

type Numbers = ArrayLike<number>;

export function mean(x: Numbers): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/** Sample standard deviation (n − 1), as torch.std and numpy with ddof 1. */
export function std(x: Numbers): number {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - m) ** 2;
  return Math.sqrt(s / (x.length - 1));
}

/**
 * Covariance (n − 1) and Pearson correlation between the columns of a [rows, cols] row-major matrix:
 * each [cols, cols] row-major.
 */
export function covariance(x: Numbers, rows: number, cols: number): { cov: Float64Array; corr: Float64Array } {
  if (rows < 2) throw new Error(`covariance needs at least 2 observations, got ${rows}`);
  const means = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) means[c] += x[r * cols + c];
  for (let c = 0; c < cols; c++) means[c] /= rows;
  const centred = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) centred[r * cols + c] = x[r * cols + c] - means[c];
  const cov = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    const row = centred.subarray(r * cols, (r + 1) * cols);
    for (let i = 0; i < cols; i++) {
      const a = row[i];
      if (a === 0) continue;
      const out = i * cols;
      for (let j = i; j < cols; j++) cov[out + j] += a * row[j];
    }
  }
  for (let i = 0; i < cols; i++)
    for (let j = i; j < cols; j++) {
      cov[i * cols + j] /= rows - 1;
      cov[j * cols + i] = cov[i * cols + j];
    }
  const corr = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++)
    for (let j = 0; j < cols; j++) {
      const d = Math.sqrt(cov[i * cols + i] * cov[j * cols + j]);
      corr[i * cols + j] = d > 0 ? cov[i * cols + j] / d : NaN;
    }
  return { cov, corr };
}
