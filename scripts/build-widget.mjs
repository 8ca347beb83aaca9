// Bundle the anywidget ESM (canvas core + cytoscape + dagre + edgehandles) and its CSS.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';

const outdir = 'orcheo_jupyter/widget/static';
// ORCHEO_DEV=1 keeps the bundle readable (stack traces name real functions).
const dev = process.env.ORCHEO_DEV === '1';
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: ['src/widget.ts'],
  bundle: true,
  format: 'esm',
  minify: !dev,
  target: 'es2020',
  outfile: `${outdir}/canvas.js`,
  legalComments: 'none',
  logLevel: 'warning'
});
// The code node editor (CodeMirror 6): a module of its own, fetched from the kernel
// the first time a code node is opened, so the canvas itself stays small.
await build({
  entryPoints: ['src/codemirror.ts'],
  bundle: true,
  format: 'esm',
  minify: !dev,
  target: 'es2020',
  outfile: `${outdir}/codemirror.js`,
  legalComments: 'none',
  logLevel: 'warning'
});
copyFileSync('style/canvas.css', `${outdir}/canvas.css`);
// A standalone page bundle for benchmarks/canvas.py (same editor, exposed on window).
await build({
  entryPoints: ['src/bench.ts'],
  bundle: true,
  format: 'iife',
  minify: true,
  target: 'es2020',
  outfile: 'build/bench/bench.js',
  legalComments: 'none',
  logLevel: 'warning'
});
copyFileSync('style/canvas.css', 'build/bench/canvas.css');
const kb = f => Math.round(statSync(f).size / 1024);
console.log(
  `widget ESM: ${kb(`${outdir}/canvas.js`)} KB (+ ${kb(`${outdir}/codemirror.js`)} KB code editor, on first use)`
);
