import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { refreshInBackground } from './background-refresh.js'
import { boundHints } from './request-context.js'

interface Seen {
  method: string | undefined
  url: string | undefined
  headers: IncomingMessage['headers']
  remoteAddress: string | undefined
  encrypted: boolean
  refresh: boolean | undefined
}

/** Captures the client's request on a real server, then refreshes it through `listener`. */
async function refreshOf(
  headers: Record<string, string>,
  listener: (req: IncomingMessage, res: ServerResponse) => unknown,
  tls = false,
): Promise<void> {
  let done: Promise<void> | undefined
  const server = createServer((req, res) => {
    if (tls) (req.socket as { encrypted?: boolean }).encrypted = true
    done = refreshInBackground(listener, req, '/mounted/page?x=1')
    res.end()
  })
  await request(server).get('/page?x=1').set(headers)
  await done
}

describe('refreshInBackground', () => {
  it("sends a GET like the client's through the listener, without its preconditions, marked as a refresh", async () => {
    const seen: Seen[] = []
    await refreshOf(
      {
        'accept-encoding': 'br',
        'if-none-match': '"a"',
        'if-modified-since': 'Tue, 01 Jan 2030 00:00:00 GMT',
        'x-forwarded-for': '203.0.113.9',
      },
      (req, res) => {
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          remoteAddress: req.socket.remoteAddress,
          encrypted: (req.socket as { encrypted?: boolean }).encrypted === true,
          refresh: boundHints(req)?.refresh,
        })
        res.end('refreshed')
      },
    )
    expect(seen).toHaveLength(1)
    const [refresh] = seen as [Seen]
    expect(refresh.method).toBe('GET')
    expect(refresh.url).toBe('/mounted/page?x=1')
    expect(refresh.headers['accept-encoding']).toBe('br')
    expect(refresh.headers['x-forwarded-for']).toBe('203.0.113.9')
    expect(refresh.headers['if-none-match']).toBeUndefined()
    expect(refresh.headers['if-modified-since']).toBeUndefined()
    expect(refresh.remoteAddress).toMatch(/127\.0\.0\.1$/)
    expect(refresh.encrypted).toBe(false)
    expect(refresh.refresh).toBe(true)
  })

  it('keeps TLS visible to the app when the client came over TLS', async () => {
    const encrypted: boolean[] = []
    await refreshOf(
      {},
      (req, res) => {
        encrypted.push((req.socket as { encrypted?: boolean }).encrypted === true)
        res.end()
      },
      true,
    )
    expect(encrypted).toEqual([true])
  })

  it('settles when the listener throws or rejects', async () => {
    await refreshOf({}, () => {
      throw new Error('sync failure')
    })
    await refreshOf({}, async () => {
      throw new Error('async failure')
    })
  })
})
