/** The engine's version, recorded in every model manifest. */
export const ENGINE_VERSION = '0.1.0';
