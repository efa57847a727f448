// The JavaScript examples of the project README and of the package README run as written
// (console.assert turned into a throw; top-level await allowed).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const readmes = ['../../../README.md', '../README.md'].map((rel) => new URL(rel, import.meta.url))
const blocks = readmes.flatMap((url) =>
  [...readFileSync(url, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => ({ url, code: m[1] })),
)

test('each README has JavaScript examples', () => {
  for (const url of readmes) assert.ok(blocks.some((b) => b.url === url), String(url))
})

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor

blocks.forEach(({ url, code }, i) => {
  test(`README example ${i} (${url.pathname.split('/').slice(-2).join('/')}) runs`, async () => {
    const strictConsole = {
      ...console,
      assert: (cond, ...msg) => assert.ok(cond, msg.join(' ') || 'console.assert failed'),
      log: () => {},
    }
    const ours = { shieldwall: '../index.js', 'shieldwall/express': '../express.js' }
    const fakeRequire = (name) => require(ours[name] ?? name)
    await new AsyncFunction('require', 'console', code)(fakeRequire, strictConsole)
  })
})
