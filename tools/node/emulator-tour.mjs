// Drives a running botpress-emulator through every method of the documented Botpress client
// (the 42 methods of the docs page "Client methods", with uploadFile) using the official
// @botpress/client, unchanged, and asserts on the results.
//
// Usage: node tools/node/emulator-tour.mjs <baseUrl> <token> <botId>
// The emulator must have the action `github:createIssue` registered (it echoes `{issue: input}`).
// Exits non-zero on the first failed assertion.

import assert from 'node:assert/strict'
import { Client, isApiError } from '@botpress/client'

const [apiUrl, token, botId] = process.argv.slice(2)
if (!apiUrl || !token || !botId) {
  console.error('usage: node emulator-tour.mjs <baseUrl> <token> <botId>')
  process.exit(2)
}

const client = new Client({ apiUrl, token, botId })
const called = new Set()
const step = async (name, fn) => {
  try {
    const out = await fn()
    called.add(name)
    return out
  } catch (err) {
    console.error(`FAILED ${name}:`, isApiError(err) ? `${err.type} ${err.code} ${err.message}` : err)
    process.exit(1)
  }
}
const expectApiError = async (name, type, fn) => {
  try {
    await fn()
  } catch (err) {
    assert.ok(isApiError(err), `${name}: expected an API error, got ${err}`)
    assert.equal(err.type, type, `${name}: error type`)
    assert.match(err.id, /^err_\d{14}x[0-9A-Fa-f]{8}$/)
    return
  }
  throw new Error(`${name}: expected ${type}`)
}

// Users (6)
const { user } = await step('createUser', () => client.createUser({ tags: { ext: 'tour-1' }, name: 'Ann' }))
assert.match(user.id, /^user_/)
assert.equal(user.name, 'Ann')
const got = await step('getOrCreateUser', () => client.getOrCreateUser({ tags: { ext: 'tour-1' } }))
assert.equal(got.user.id, user.id)
assert.equal(got.meta?.created, false)
assert.equal((await step('getUser', () => client.getUser({ id: user.id }))).user.tags.ext, 'tour-1')
const updated = await step('updateUser', () => client.updateUser({ id: user.id, name: null, tags: { role: 'tester' } }))
assert.equal(updated.user.name, undefined)
assert.equal(updated.user.tags.role, 'tester')
const users = await step('listUsers', () => client.listUsers({ tags: { role: 'tester' } }))
assert.deepEqual(users.users.map((u) => u.id), [user.id])

// Conversations (6)
const { conversation } = await step('createConversation', () =>
  client.createConversation({ channel: 'channel', tags: { thread: 't1' } })
)
assert.match(conversation.id, /^conv_/)
assert.equal(conversation.messageCount, 0)
const goc = await step('getOrCreateConversation', () =>
  client.getOrCreateConversation({ channel: 'channel', tags: { thread: 't1' } })
)
assert.equal(goc.conversation.id, conversation.id)
assert.equal(goc.meta?.created, false)
assert.equal((await step('getConversation', () => client.getConversation({ id: conversation.id }))).conversation.channel, 'channel')
const upd = await step('updateConversation', () =>
  client.updateConversation({ id: conversation.id, tags: { thread: 't2', extra: 'x' } })
)
assert.deepEqual(upd.conversation.tags, { thread: 't2', extra: 'x' })
for (let i = 0; i < 3; i++) {
  await client.createConversation({ channel: 'channel', tags: { page: 'yes' } })
}
const page1 = await step('listConversations', () => client.listConversations({ tags: { page: 'yes' }, pageSize: 2 }))
assert.equal(page1.conversations.length, 2)
assert.ok(page1.meta.nextToken, 'a second page is announced')
const page2 = await client.listConversations({ tags: { page: 'yes' }, pageSize: 2, nextToken: page1.meta.nextToken })
assert.equal(page2.conversations.length, 1)
assert.equal(page2.meta.nextToken, undefined)
const all = await client.list.conversations({ tags: { page: 'yes' } }).collect()
assert.equal(all.length, 3)

// Messages (5)
const { message } = await step('createMessage', () =>
  client.createMessage({
    conversationId: conversation.id,
    userId: user.id,
    type: 'text',
    payload: { text: 'héllo' },
    tags: { t: 'v' },
  })
)
assert.match(message.id, /^msg_/)
assert.equal(message.direction, 'outgoing')
assert.equal((await step('getMessage', () => client.getMessage({ id: message.id }))).message.payload.text, 'héllo')
const um = await step('updateMessage', () => client.updateMessage({ id: message.id, tags: { t: 'w' } }))
assert.equal(um.message.tags.t, 'w')
const msgs = await step('listMessages', () => client.listMessages({ conversationId: conversation.id }))
assert.deepEqual(msgs.messages.map((m) => m.id), [message.id])
assert.equal((await client.getConversation({ id: conversation.id })).conversation.messageCount, 1)

// Events (3)
const { event } = await step('createEvent', () =>
  client.createEvent({ type: 'custom', payload: { a: 1 }, conversationId: conversation.id })
)
assert.match(event.id, /^evt_/)
assert.equal((await step('getEvent', () => client.getEvent({ id: event.id }))).event.payload.a, 1)
const evs = await step('listEvents', () => client.listEvents({ conversationId: conversation.id }))
assert.deepEqual(evs.events.map((e) => e.id), [event.id])

// State (4)
const st = { type: 'conversation', id: conversation.id, name: 'memory' }
await expectApiError('getState (missing)', 'ResourceNotFound', () => client.getState(st))
const set = await step('setState', () => client.setState({ ...st, payload: { a: 1 } }))
assert.deepEqual(set.state.payload, { a: 1 })
const patched = await step('patchState', () => client.patchState({ ...st, payload: { b: 2 } }))
assert.deepEqual(patched.state.payload, { a: 1, b: 2 })
const gs = await step('getOrSetState', () => client.getOrSetState({ ...st, payload: { ignored: true } }))
assert.deepEqual(gs.state.payload, { a: 1, b: 2 })
assert.equal((await step('getState', () => client.getState(st))).state.payload.b, 2)
await client.setState({ ...st, payload: null })
await expectApiError('getState (deleted)', 'ResourceNotFound', () => client.getState(st))

// Actions (1)
const action = await step('callAction', () => client.callAction({ type: 'github:createIssue', input: { title: 'bug' } }))
assert.deepEqual(action.output, { issue: { title: 'bug' } })
await expectApiError('callAction (unknown)', 'ResourceNotFound', () => client.callAction({ type: 'nope:nothing', input: {} }))

// Files (5)
const up = await step('upsertFile', () => client.upsertFile({ key: 'tour/raw.bin', size: 3 }))
assert.equal(up.file.status, 'upload_pending')
assert.ok(up.file.uploadUrl.startsWith(apiUrl), 'the upload URL points at the emulator')
const content = 'hello wörld é 日本 👋\n'
const uploaded = await step('uploadFile', () =>
  client.uploadFile({ key: 'tour/hello.txt', content, tags: { kind: 'greeting' }, accessPolicies: ['public_content'] })
)
assert.equal(uploaded.file.size, 28)
const gf = await step('getFile', () => client.getFile({ id: uploaded.file.id }))
assert.equal(gf.file.status, 'upload_completed')
assert.equal(gf.file.size, 28)
const download = await fetch(gf.file.url)
assert.equal(download.status, 200)
assert.equal(await download.text(), content)
assert.equal((await client.getFile({ id: 'tour/hello.txt' })).file.id, uploaded.file.id, 'a key works as id')
const lf = await step('listFiles', () => client.listFiles({ tags: { kind: ['greeting', 'other'] } }))
assert.deepEqual(lf.files.map((f) => f.id), [uploaded.file.id])
const notGreeting = await client.listFiles({ tags: { kind: { not: 'greeting' } } })
assert.ok(!notGreeting.files.some((f) => f.id === uploaded.file.id))
await step('deleteFile', () => client.deleteFile({ id: up.file.id }))
await expectApiError('getFile (deleted)', 'ResourceNotFound', () => client.getFile({ id: up.file.id }))

// Tables (6)
await client.createTable({
  name: 'tourTable',
  schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'number' } } },
})
const created = await step('createTableRows', () =>
  client.createTableRows({ table: 'tourTable', rows: [{ name: 'a', age: 17 }, { name: 'b', age: 30 }] })
)
assert.equal(created.rows.length, 2)
const rowId = created.rows[1].id
assert.equal((await step('getTableRow', () => client.getTableRow({ table: 'tourTable', id: rowId }))).row.name, 'b')
const found = await step('findTableRows', () => client.findTableRows({ table: 'tourTable', filter: { age: { $gte: 18 } } }))
assert.deepEqual(found.rows.map((r) => r.name), ['b'])
const ur = await step('updateTableRows', () => client.updateTableRows({ table: 'tourTable', rows: [{ id: rowId, age: 31 }] }))
assert.equal(ur.rows[0].age, 31)
const ups = await step('upsertTableRows', () =>
  client.upsertTableRows({ table: 'tourTable', rows: [{ id: rowId, name: 'b2' }, { name: 'c', age: 40 }] })
)
assert.equal(ups.updated.length + ups.inserted.length, 2)
const del = await step('deleteTableRows', () => client.deleteTableRows({ table: 'tourTable', ids: [rowId] }))
assert.equal(del.deletedRows, 1)

// Workflows (5)
const { workflow } = await step('createWorkflow', () =>
  client.createWorkflow({ name: 'onboarding', status: 'pending', conversationId: conversation.id, input: { step: 1 } })
)
assert.match(workflow.id, /^wfl_/)
assert.equal((await step('getWorkflow', () => client.getWorkflow({ id: workflow.id }))).workflow.status, 'pending')
const done = await step('updateWorkflow', () => client.updateWorkflow({ id: workflow.id, status: 'completed', output: { ok: true } }))
assert.equal(done.workflow.status, 'completed')
assert.ok(done.workflow.completedAt)
await expectApiError('updateWorkflow (finished)', 'InvalidPayload', () =>
  client.updateWorkflow({ id: workflow.id, status: 'paused' })
)
const wfs = await step('listWorkflows', () => client.listWorkflows({ statuses: ['completed'] }))
assert.deepEqual(wfs.workflows.map((w) => w.id), [workflow.id])
await step('deleteWorkflow', () => client.deleteWorkflow({ id: workflow.id }))

// Analytics (1)
await step('trackAnalytics', () => client.trackAnalytics({ name: 'tour', count: 1 }))

// Deletes last: messages, conversations, users.
await step('deleteMessage', () => client.deleteMessage({ id: message.id }))
await step('deleteConversation', () => client.deleteConversation({ id: conversation.id }))
await expectApiError('getConversation (deleted)', 'ResourceNotFound', () => client.getConversation({ id: conversation.id }))
await step('deleteUser', () => client.deleteUser({ id: user.id }))

const documented = [
  'createConversation', 'getConversation', 'listConversations', 'updateConversation', 'deleteConversation',
  'getOrCreateConversation', 'createMessage', 'getMessage', 'listMessages', 'updateMessage', 'deleteMessage',
  'createUser', 'getUser', 'listUsers', 'updateUser', 'deleteUser', 'getOrCreateUser', 'createEvent', 'getEvent',
  'listEvents', 'getState', 'setState', 'getOrSetState', 'patchState', 'callAction', 'uploadFile', 'getFile',
  'listFiles', 'deleteFile', 'upsertFile', 'createTableRows', 'getTableRow', 'findTableRows', 'updateTableRows',
  'upsertTableRows', 'deleteTableRows', 'createWorkflow', 'getWorkflow', 'updateWorkflow', 'deleteWorkflow',
  'listWorkflows', 'trackAnalytics',
]
assert.equal(documented.length, 42)
const missing = documented.filter((m) => !called.has(m))
assert.deepEqual(missing, [], 'every documented method was called')
console.log(`emulator tour: ${called.size} documented client methods passed`)
