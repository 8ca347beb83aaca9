// Build the prebuilt JupyterLab extension with @jupyter/builder against the
// @jupyterlab/core-meta it installs (no network, no `jupyter lab build`).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const builderPkg = require.resolve('@jupyter/builder/package.json');
const script = path.join(path.dirname(builderPkg), 'lib', 'build-labextension.js');
const corePkg = require.resolve('@jupyterlab/core-meta/core.package.json', {
  paths: [path.dirname(builderPkg), process.cwd()]
});
const args = [script, '--core-package-file', corePkg, '.'];
if (process.argv.includes('--development')) args.splice(1, 0, '--development');
execFileSync(process.execPath, args, { stdio: 'inherit' });
