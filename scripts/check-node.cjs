// Refuses to go on under a Node.js older than the product needs, with what to do instead of a
// stack trace ("No such built-in module: node:sqlite"). Plain CommonJS on purpose: it must run,
// and say so, on the old versions it refuses. The npm scripts call it before anything else.
'use strict';

const REQUIRED = [22, 12];

/** The problem with this Node version, as a message; null when it will do. */
function nodeProblem(version) {
  const [major, minor] = String(version).replace(/^v/, '').split('.').map(Number);
  if (major > REQUIRED[0] || (major === REQUIRED[0] && minor >= REQUIRED[1])) return null;
  return [
    `Streamwarden needs Node.js ${REQUIRED.join('.')} or later (24 LTS recommended); this is Node.js v${String(version).replace(/^v/, '')}.`,
    'Debian and Ubuntu ship an older one. To get Node.js 24:',
    '  - with a version manager: `nvm install 24` (https://github.com/nvm-sh/nvm) or `fnm install 24`;',
    '  - from the project: https://nodejs.org/en/download (Linux binaries, or the NodeSource packages for apt);',
    '  - in containers: `docker compose` with compose.yaml (README, "Scaled out") needs no Node.js on the host.',
    'Then run the command again.',
  ].join('\n');
}

module.exports = { nodeProblem };

if (require.main === module) {
  const problem = nodeProblem(process.versions.node);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
