// Packs every publishable @brisk package with `npm pack`, installs the tarballs into a scratch
// project outside the workspace, and checks that each one loads through `import` and
// `require` on this Node and typechecks for both module kinds (node16 resolution).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const scratch = mkdtempSync(join(tmpdir(), 'brisk-pack-'))
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })

try {
  const packages = readdirSync(join(root, 'packages')).map((dir) => {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'))
    return { dir, name: manifest.name }
  })
  const tarballs = packages.map(({ dir }) => {
    const out = run('npm', ['pack', '--silent', '--pack-destination', scratch], join(root, 'packages', dir))
    return join(scratch, out.trim().split('\n').pop())
  })
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module' }),
  )
  run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs],
    scratch,
  )

  const names = packages.map((p) => p.name)
  writeFileSync(
    join(scratch, 'esm.mjs'),
    names
      .map(
        (n, i) =>
          `import * as m${i} from '${n}'\nif (Object.keys(m${i}).length === 0) throw new Error('${n}: empty ESM exports')\n`,
      )
      .join(''),
  )
  writeFileSync(
    join(scratch, 'cjs.cjs'),
    names
      .map(
        (n) => `if (Object.keys(require('${n}')).length === 0) throw new Error('${n}: empty CJS exports')\n`,
      )
      .join(''),
  )
  run('node', ['esm.mjs'], scratch)
  run('node', ['cjs.cjs'], scratch)

  writeFileSync(
    join(scratch, 'types-esm.mts'),
    names.map((n, i) => `import * as t${i} from '${n}'\nvoid t${i}\n`).join(''),
  )
  writeFileSync(
    join(scratch, 'types-cjs.cts'),
    names.map((n, i) => `import t${i} = require('${n}')\nvoid t${i}\n`).join(''),
  )
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const typeRoots = join(root, 'node_modules', '@types')
  run(
    'node',
    [
      tsc,
      '--noEmit',
      '--strict',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--skipLibCheck',
      '--typeRoots',
      typeRoots,
      '--types',
      'node',
      'types-esm.mts',
      'types-cjs.cts',
    ],
    scratch,
  )
  console.log(`pack check: ${names.length} packages import, require and typecheck from their tarballs`)
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
