import { ServerResponse, IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { setAdmissionHeaders, withEarlierHeaders } from './admission.js'

function response(): ServerResponse {
  return new ServerResponse(new IncomingMessage(new Socket()))
}

describe('setAdmissionHeaders', () => {
  it('sets the fields an admission decided on the response before the app runs', () => {
    const res = response()
    setAdmissionHeaders(res, { ratelimit: '"default";r=4;t=45', 'x-ratelimit-limit': '5' })
    expect(res.getHeader('ratelimit')).toBe('"default";r=4;t=45')
    expect(res.getHeader('x-ratelimit-limit')).toBe('5')
  })

  it('joins the RateLimit lists of a second limiter to the first one, in the order they ran', () => {
    const res = response()
    setAdmissionHeaders(res, {
      'ratelimit-policy': '"global";q=1000;w=3600',
      ratelimit: '"global";r=999;t=100',
      'x-ratelimit-limit': '1000',
    })
    setAdmissionHeaders(res, {
      'ratelimit-policy': '"login";q=5;w=900',
      ratelimit: '"login";r=4;t=900',
      'x-ratelimit-limit': '5',
    })
    // One field line per limiter: the same list as one line joined by commas (RFC 9110 §5.3).
    expect(res.getHeader('ratelimit-policy')).toEqual(['"global";q=1000;w=3600', '"login";q=5;w=900'])
    expect(res.getHeader('ratelimit')).toEqual(['"global";r=999;t=100', '"login";r=4;t=900'])
    // Not a list: the later limiter's value stands, as before.
    expect(res.getHeader('x-ratelimit-limit')).toBe('5')
  })

  it('adds its members to RateLimit lists earlier middleware started, whoever set them', () => {
    const res = response()
    res.setHeader('ratelimit', '"upstream";r=1')
    setAdmissionHeaders(res, { ratelimit: '"default";r=4;t=45' })
    expect(res.getHeader('ratelimit')).toEqual(['"upstream";r=1', '"default";r=4;t=45'])
  })

  it("keeps an earlier limiter's RateLimit members on a later limiter's refusal", () => {
    const res = response()
    setAdmissionHeaders(res, { ratelimit: '"global";r=998;t=100' })
    const refusal = withEarlierHeaders(res, {
      status: 429,
      headers: { ratelimit: '"login";r=0;t=60', 'retry-after': '60' },
      body: Buffer.from('Too Many Requests'),
    })
    expect(refusal.headers.ratelimit).toBe('"global";r=998;t=100, "login";r=0;t=60')
    expect(refusal.headers['retry-after']).toBe('60')
  })
})
