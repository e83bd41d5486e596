// The official TypeScript client's side of `cargo xtask bench`: getConversation as fast as
// possible against the benchmark's loopback server, with --concurrency requests in flight,
// in the client's default configuration (keep-alive agent). Prints one JSON line: requests,
// wall time, CPU time of this process (process.cpuUsage) and its peak RSS (VmHWM).
//
//   node bench-client.mjs --url http://127.0.0.1:PORT --concurrency 16 --warmup-ms 1000 --duration-ms 5000
import { readFileSync } from 'node:fs'
import { Client } from '@botpress/client'

const ID = 'conv_01HZXK3Q9V7M2B6N8P4R5T0W1Y'

function options(argv) {
  const out = {}
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) {
      throw new Error(`expected --name value pairs, got ${argv.slice(i).join(' ')}`)
    }
    out[argv[i].slice(2)] = argv[i + 1]
  }
  return out
}

function peakRssKib() {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'))
  return Number(line.replace(/\D+/g, ''))
}

async function runFor(concurrency, ms, op) {
  const deadline = performance.now() + ms
  const loops = Array.from({ length: concurrency }, async () => {
    let done = 0
    while (performance.now() < deadline) {
      await op()
      done += 1
    }
    return done
  })
  return (await Promise.all(loops)).reduce((a, b) => a + b, 0)
}

const opts = options(process.argv.slice(2))
if (!opts.url) throw new Error('missing --url')
const concurrency = Number(opts.concurrency ?? 1)
const client = new Client({ apiUrl: opts.url, token: 't', botId: 'b' })
const op = async () => {
  const { conversation } = await client.getConversation({ id: ID })
  if (conversation.id !== ID) throw new Error(`unexpected conversation ${conversation.id}`)
}

await runFor(concurrency, Number(opts['warmup-ms'] ?? 1000), op)
const cpu0 = process.cpuUsage()
const t0 = performance.now()
const requests = await runFor(concurrency, Number(opts['duration-ms'] ?? 5000), op)
const wallS = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
console.log(
  JSON.stringify({
    client: 'node',
    concurrency,
    requests,
    wall_s: wallS,
    cpu_us: cpu.user + cpu.system,
    peak_rss_kib: peakRssKib(),
  }),
)
