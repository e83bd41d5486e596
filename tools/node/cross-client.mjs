// Drives the official @botpress/client through the cross-client cases of the conformance
// suite (tests/conformance/cross_client.rs), against a local recording server.
//
// Usage: node tools/node/cross-client.mjs <cases.json>
// The file holds {config: {apiUrl, token, botId, integrationId, integrationAlias, workspaceId,
// headers}, cases: [{index, method, input}]}. Before each case, a marker request
// `GET <apiUrl>/__cross-client/case/<index>` (plain fetch, not the client) tells the recording
// server where the case's requests start. Then `client[method](input)` is called once: no
// retry is configured, so each request is sent exactly once.
//
// Prints one JSON line per case on stdout: {index, ok: true} or {index, ok: false, error}.
// Exits non-zero only when it cannot run at all (bad arguments, unreadable file).

import { readFileSync } from 'node:fs'
import { Client, isApiError } from '@botpress/client'

const [file] = process.argv.slice(2)
if (!file) {
  console.error('usage: node cross-client.mjs <cases.json>')
  process.exit(2)
}
const { config, cases } = JSON.parse(readFileSync(file, 'utf8'))
const client = new Client(config)

const describe = (err) =>
  isApiError(err) ? `${err.type} ${err.code} ${err.message}` : `${err?.name ?? 'Error'}: ${err?.message ?? err}`

for (const { index, method, input } of cases) {
  const marker = await fetch(`${config.apiUrl}/__cross-client/case/${index}`)
  await marker.arrayBuffer()
  let line
  if (typeof client[method] !== 'function') {
    line = { index, ok: false, error: `@botpress/client has no method ${method}` }
  } else {
    try {
      await client[method](input)
      line = { index, ok: true }
    } catch (err) {
      line = { index, ok: false, error: describe(err) }
    }
  }
  process.stdout.write(JSON.stringify(line) + '\n')
}
