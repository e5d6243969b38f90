/** Electron main entry (electron-vite builds this to out/main/index.js). */
import './app/main';
