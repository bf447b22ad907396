// Debian's headless Chromium (`apt-get install -y chromium`), for the browser
// test and the Studio screenshot.
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless, as root, and off the network it cannot reach here: without the
 * background-networking flags its own services retry Google's hosts while the
 * page loads.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;
