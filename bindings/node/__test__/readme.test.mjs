// The project README's JavaScript examples run as written (console.assert turned into a throw).
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
