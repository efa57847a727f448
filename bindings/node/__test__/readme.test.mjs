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
    // An app an example starts listens on a free port and is closed after the example.
    const servers = []
    const express = () => {
      const app = require('express')()
      const listen = app.listen.bind(app)
      app.listen = (_port, ...rest) => {
        const server = listen(0, '127.0.0.1', ...rest.filter((a) => typeof a === 'function'))
        servers.push(server)
        return server
      }
      return app
    }
    const fakeRequire = (name) => (name === 'express' ? express : require(ours[name] ?? name))
    const policy = new URL('../../../examples/policy.toml', import.meta.url).pathname
    const saved = process.env.SHIELDWALL_POLICY
    process.env.SHIELDWALL_POLICY = policy
    try {
      await new AsyncFunction('require', 'console', code)(fakeRequire, strictConsole)
    } finally {
      if (saved === undefined) delete process.env.SHIELDWALL_POLICY
      else process.env.SHIELDWALL_POLICY = saved
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    }
  })
})
