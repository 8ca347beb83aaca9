import { defineConfig } from 'vitest/config';

// Unit tests for the pure canvas modules (tests/ts); browser behaviour is covered by
// the Playwright suite in tests/browser.
export default defineConfig({
  test: {
    include: ['tests/ts/**/*.test.ts'],
    environment: 'node'
  }
});
