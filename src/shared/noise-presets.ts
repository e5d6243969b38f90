/**
 * Named noise specs the app offers beside its free-text noise field (Train
 * view and Datasets inspector); any spec the engine parses may still be typed.
 */
/** The mix the bundled colour model trains on: Gaussian, camera noise with and without JPEG, and shot + read noise. */
export const PHOTO_NOISE_MIX = 'gaussian:0-55+gaussian:0-55+camera+camera:0.0001-0.012+poisson-gaussian:0.0005-0.02,0-10';

export const NOISE_PRESETS = [
  { label: "The notebook's noise (factor 0.3)", spec: 'factor:0.3' },
  { label: 'Gaussian, σ 0–55', spec: 'gaussian:0-55' },
  { label: 'Camera noise (sensor noise, then JPEG 60–100)', spec: 'camera' },
  { label: 'Camera noise, no JPEG', spec: 'camera:0.0001-0.012' },
  { label: 'Shot and read noise (Poisson-Gaussian)', spec: 'poisson-gaussian:0.0005-0.02,0-10' },
  { label: 'Photos: Gaussian and camera noise mixed (as the bundled model)', spec: PHOTO_NOISE_MIX },
] as const;
