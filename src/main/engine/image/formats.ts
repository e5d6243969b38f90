/**
 * File names and output formats: the format a file's extension asks for and
 * the extension a format writes. No decoder, so output naming works anywhere.
 */
import path from 'node:path';
import type { OutputFormat } from '../../../shared/vocabulary';

export function extensionFormat(file: string): OutputFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  if (ext === '.tif' || ext === '.tiff') return 'tiff';
  if (ext === '.png' || ext === '.webp') return ext.slice(1) as OutputFormat;
  return undefined;
}

export function extensionFor(format: OutputFormat): string {
  return format === 'jpeg' ? '.jpg' : format === 'tiff' ? '.tif' : `.${format}`;
}
