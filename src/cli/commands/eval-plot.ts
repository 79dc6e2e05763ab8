/**
 * `eval --plot <file.png>`: the reliability diagram. Each band of stated top-1 % is a bar as high as the share of its
 * answers that were right, against the diagonal where stated = right; the bar's count above it; a dot at the band's
 * mean stated and its share right (on the diagonal when the band is calibrated). Drawn as SVG and rasterised by sharp, which the project already carries (no plotting dependency).
 */
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { Reliability } from '../../vision/index.ts';

export const PLOT_WIDTH = 640;
export const PLOT_HEIGHT = 500;

const LEFT = 70;
const RIGHT = 610;
const TOP = 80;
const BOTTOM = 430;

const x = (p: number) => LEFT + p * (RIGHT - LEFT);
const y = (p: number) => BOTTOM - p * (BOTTOM - TOP);
const f = (n: number) => n.toFixed(1);
const escapeXml = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

export interface PlotTitle {
  model: string;
  /** The labelled set, as the person named it. */
  set: string;
}

function axes(): string[] {
  const parts: string[] = [];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<line x1="${f(LEFT)}" y1="${f(y(tick))}" x2="${f(RIGHT)}" y2="${f(y(tick))}" stroke="#ddd"/>`,
      `<text x="${f(LEFT - 8)}" y="${f(y(tick) + 4)}" text-anchor="end">${tick * 100}%</text>`,
      `<text x="${f(x(tick))}" y="${f(BOTTOM + 18)}" text-anchor="middle">${tick * 100}%</text>`,
    );
  }
  parts.push(
    `<line x1="${f(LEFT)}" y1="${f(BOTTOM)}" x2="${f(RIGHT)}" y2="${f(BOTTOM)}" stroke="#333"/>`,
    `<line x1="${f(LEFT)}" y1="${f(TOP)}" x2="${f(LEFT)}" y2="${f(BOTTOM)}" stroke="#333"/>`,
    `<text x="${f((LEFT + RIGHT) / 2)}" y="${f(BOTTOM + 40)}" text-anchor="middle">stated top-1 %</text>`,
    `<text x="18" y="${f((TOP + BOTTOM) / 2)}" text-anchor="middle" transform="rotate(-90 18 ${f((TOP + BOTTOM) / 2)})">right %</text>`,
  );
  return parts;
}

/** The diagram as an SVG document. */
export function reliabilitySvg(r: Reliability, title: PlotTitle): string {
  const bars = r.bins.flatMap((b) => {
    const left = x(b.from) + 2;
    const width = x(b.to) - x(b.from) - 4;
    const top = y(b.accuracy);
    const parts = [
      `<rect x="${f(left)}" y="${f(top)}" width="${f(width)}" height="${f(BOTTOM - top)}" fill="#4c78a8" fill-opacity="0.8"/>`,
      `<text x="${f(left + width / 2)}" y="${f(top - 6)}" text-anchor="middle">n=${b.count}</text>`,
    ];
    if (b.count > 0) {
      parts.push(`<circle cx="${f(x(b.meanStated))}" cy="${f(y(b.accuracy))}" r="4" fill="#e45756"/>`);
    }
    return parts;
  });
  const heading = `${title.model}, T=${r.temperature}, ${r.samples} dog photos of ${title.set}`;
  const summary = `mean stated ${f(r.meanStated * 100)}% vs ${f(r.accuracy * 100)}% right; stated ≥ ${r.confident.from * 100}%: ${f(r.confident.accuracy * 100)}% right (of ${r.confident.count})`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${PLOT_WIDTH}" height="${PLOT_HEIGHT}" font-family="sans-serif" font-size="12" fill="#222">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${PLOT_WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Reliability of the stated top-1 %</text>`,
    `<text x="${PLOT_WIDTH / 2}" y="42" text-anchor="middle">${escapeXml(heading)}</text>`,
    `<text x="${PLOT_WIDTH / 2}" y="60" text-anchor="middle">${escapeXml(summary)}</text>`,
    ...axes(),
    ...bars,
    // Where a bar meets the diagonal, its stated % is as often right as it says.
    `<line x1="${f(x(0))}" y1="${f(y(0))}" x2="${f(x(1))}" y2="${f(y(1))}" stroke="#333" stroke-dasharray="6 4"/>`,
    `<text x="${f(RIGHT - 4)}" y="${f(PLOT_HEIGHT - 12)}" text-anchor="end" fill="#666">bars: right per band · dots: mean stated, right · dashed: stated = right</text>`,
    '</svg>',
  ].join('\n');
}

/** Writes the diagram as a PNG. */
export async function writeReliabilityPlot(file: string, r: Reliability, title: PlotTitle): Promise<void> {
  await writeFile(
    file,
    await sharp(Buffer.from(reliabilitySvg(r, title)))
      .png()
      .toBuffer(),
  );
}
