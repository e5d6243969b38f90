/**
 * Decoding a folder's photos for training: EXIF orientation applied, alpha
 * dropped, converted to the model's channels; files that cannot be used are
 * reported with the reason, not fatal.
 */
import { toChannels, type FloatImage } from '../image/float-image';
import { readImage } from '../image/io';

export interface LoadReport {
  images: FloatImage[];
  skipped: { path: string; reason: string }[];
}

/** Decodes files for training, converted to `channels`; unreadable files are reported, not fatal. */
export async function loadTrainingImages(files: string[], channels: 1 | 3, minSize: number): Promise<LoadReport> {
  const images: FloatImage[] = [];
  const skipped: LoadReport['skipped'] = [];
  for (const file of files) {
    try {
      const { image } = await readImage(file, { autoOrient: true });
      if (image.width < minSize || image.height < minSize) {
        skipped.push({ path: file, reason: `smaller than the ${minSize}px patch size` });
        continue;
      }
      images.push(toChannels(image, channels));
    } catch (err) {
      skipped.push({ path: file, reason: (err as Error).message });
    }
  }
  return { images, skipped };
}
