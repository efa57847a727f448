// The JavaScript examples of the project README and of the package README run as written
// (console.assert turned into a throw).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1])

test('the README has JavaScript examples', () => {
  assert.ok(blocks.length >= 1)
})

blocks.forEach((code, i) => {
  test(`README example ${i} runs`, () => {
    const strictConsole = {
      ...console,
      assert: (cond, ...msg) => assert.ok(cond, msg.join(' ') || 'console.assert failed'),
      log: () => {},
    }
    const fakeRequire = (name) => (name === 'shieldwall' ? require('../index.js') : require(name))
    new Function('require', 'console', code)(fakeRequire, strictConsole)
  })
})

// The package README's examples run too.
const packageReadme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const packageBlocks = [...packageReadme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1])

test('the package README has JavaScript examples', () => {
  assert.ok(packageBlocks.length >= 2)
})

packageBlocks.forEach((code, i) => {
  test(`package README example ${i} runs`, () => {
    const strictConsole = {
      ...console,
      assert: (cond, ...msg) => assert.ok(cond, msg.join(' ') || 'console.assert failed'),
      log: () => {},
    }
    const fakeRequire = (name) =>
      name === 'shieldwall' ? require('../index.js') : name === 'shieldwall/logging' ? require('../logging.js') : require(name)
    new Function('require', 'console', code)(fakeRequire, strictConsole)
  })
})
