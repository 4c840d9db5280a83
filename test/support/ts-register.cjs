// Lets a child process run the TypeScript sources directly (`node -r ./test/support/ts-register.cjs
// apps/router/src/main.ts`), compiled by swc with the options Jest uses, so end-to-end tests can
// kill a real router process without building it first. Nest's ES-module packages load through
// Node's require(esm).
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

const root = join(__dirname, '..', '..');
const aliases = {
  '@app/zendesk': join(root, 'libs/zendesk/src/index.ts'),
  '@app/rules': join(root, 'libs/rules/src/index.ts'),
};

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, aliases[request] ?? request, ...rest);
};

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
