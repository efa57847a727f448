#!/usr/bin/env node
// npm `install` script: builds the native addon from source with plain `cargo build --release`
// and copies it to the `.node` file name that the generated `index.js` loads on this platform.
//
// It needs no devDependencies (so `npm install /path/to/bindings/node` works from another
// project), only cargo on PATH. `npm run build` (napi build) is the developer's path: it also
// regenerates index.js / index.d.ts. Set SHIELDWALL_SKIP_BUILD=1 to skip (e.g. when a
// prebuilt `.node` file is already in place).
'use strict'

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const here = __dirname
const binaryName = require('./package.json').napi.binaryName

function fail(message) {
  console.error(`shieldwall: ${message}`)
  process.exit(1)
}

/** The platform suffix the napi-rs loader (index.js) looks for first on this machine. */
function platformSuffix() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const header = process.report && process.report.getReport().header
    const glibc = header && header.glibcVersionRuntime
    const abi = arch === 'arm' ? (glibc ? 'gnueabihf' : 'musleabihf') : glibc ? 'gnu' : 'musl'
    return `linux-${arch}-${abi}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  if (platform === 'darwin') return `darwin-${arch}`
  return `${platform}-${arch}`
}

if (process.env.SHIELDWALL_SKIP_BUILD) {
  console.error('shieldwall: SHIELDWALL_SKIP_BUILD is set, not building the native addon')
  process.exit(0)
}

const cargo = process.env.CARGO || 'cargo'

// Build for the host triple named explicitly, as `napi build` does, so that both share one
// cargo output folder (target/<triple>/release) instead of building everything twice.
const rustc = spawnSync(process.env.RUSTC || 'rustc', ['-vV'], { encoding: 'utf8' })
if (rustc.error || rustc.status !== 0) fail('cannot run rustc; install Rust from https://rustup.rs')
const host = /^host: (\S+)$/m.exec(rustc.stdout)
if (!host) fail('rustc -vV printed no host triple')

const args = [
  'build',
  '--release',
  '--target',
  host[1],
  '--package',
  'shieldwall-node',
  '--manifest-path',
  path.join(here, 'Cargo.toml'),
  '--message-format=json-render-diagnostics',
]
console.error(`shieldwall: building the native addon: ${cargo} ${args.join(' ')}`)
const build = spawnSync(cargo, args, {
  cwd: here,
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
})
if (build.error) fail(`cannot run ${cargo} (${build.error.message}); install Rust from https://rustup.rs`)
if (build.status !== 0) fail(`${cargo} build failed with exit code ${build.status}`)

let artifact
for (const line of build.stdout.split('\n')) {
  if (!line.startsWith('{')) continue
  const msg = JSON.parse(line)
  if (msg.reason === 'compiler-artifact' && msg.target && msg.target.name === 'shieldwall_node') {
    artifact = msg.filenames.find((f) => /\.(so|dylib|dll)$/.test(f))
  }
}
if (!artifact) fail('cargo reported no shieldwall_node library')

const target = path.join(here, `${binaryName}.${platformSuffix()}.node`)
fs.copyFileSync(artifact, target)

// Check that the loader finds and loads what was built.
const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(here)}).normalize('ok')`], {
  stdio: 'inherit',
})
if (check.status !== 0) fail(`built ${target}, but index.js cannot load it`)
console.error(`shieldwall: native addon ready: ${path.basename(target)}`)
