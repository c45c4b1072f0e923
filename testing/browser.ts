/// <reference lib="dom" />
// Headless Debian Chromium driven by playwright-core: the system browser, never a downloaded one,
// with WebGL rendered in software (SwiftShader) so deck.gl draws without a GPU.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--use-gl=angle',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
    ],
  });
}

/** Every console error and uncaught exception of the page, for asserting there were none. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return errors;
}

/** A screenshot of the element decoded by the browser itself: its width and RGBA pixels, row by row. */
async function screenshotPixels(page: Page, selector: string): Promise<{ width: number; data: number[] }> {
  const png = await page.locator(selector).screenshot();
  return page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    return { width: image.width, data: Array.from(context.getImageData(0, 0, image.width, image.height).data) };
  }, png.toString('base64'));
}

/**
 * How many pixels of a screenshot of the element, below `top` pixels (past a chart's legend,
 * drawn above its plot area), are within a small distance of the colour: whether a chart drew
 * its series in its plot area.
 */
export async function pixelsOfColour(
  page: Page,
  selector: string,
  [r, g, b]: [number, number, number],
  top = 24,
): Promise<number> {
  const { width, data } = await screenshotPixels(page, selector);
  let n = 0;
  for (let i = top * width * 4; i < data.length; i += 4)
    if (Math.abs(data[i]! - r) + Math.abs(data[i + 1]! - g) + Math.abs(data[i + 2]! - b) < 60) n++;
  return n;
}

/**
 * How many distinct colours a screenshot of the element has: a blank or single-colour canvas has
 * one or two.
 */
export async function distinctColours(page: Page, selector: string): Promise<number> {
  const { data } = await screenshotPixels(page, selector);
  const seen = new Set<number>();
  for (let i = 0; i < data.length; i += 4) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
  return seen.size;
}
