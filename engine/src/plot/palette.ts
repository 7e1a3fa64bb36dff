import { schemeTableau10 } from 'd3-scale-chromatic';

/** Colour and dash pattern of the i-th series: Tableau 10, dashed once the colours run out. */
export function seriesStyle(i: number): { color: string; dash: string } {
  const dashes = ['', '6 3', '2 2', '8 3 2 3'];
  return { color: schemeTableau10[i % 10], dash: dashes[Math.floor(i / 10) % dashes.length] };
}
