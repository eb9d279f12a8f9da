import memjs from 'memjs'

/**
 * The two binary-protocol commands the Memcached lock needs with their CAS, which memjs 1.x
 * hides: its `add` drops the CAS of the item it created, and its `delete` cannot send one
 * ("TODO: support version (CAS)" in memjs). Both go through memjs's own `perform`, so they
 * share its connection, server choice per key, timeouts and retries.
 *
 * Memcached protocol (protocol_binary.h, the binary protocol's documentation): a DELETE whose
 * request header carries a non-zero CAS removes the item only if its CAS still equals it and
 * answers KEY_EEXISTS otherwise; every store of an item (an ADD after an expiry included)
 * gives the item a new CAS. A server started with `-C` keeps no CAS and answers 0.
 */

type Client = memjs.Client<string | Buffer, Buffer | null>

const ADD = 0x02
const DELETE = 0x04
/** Response status: the key exists (ADD), or its CAS differs (DELETE with a CAS). */
const KEY_EXISTS = 0x02
const NOT_STORED = 0x05
const NO_FLAGS = Buffer.alloc(4)
const CAS_OFFSET = 16

interface Reply {
  status: number
  cas: Buffer
}

function perform(client: Client, key: string, request: (seq: number) => Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    client.incrSeq()
    const seq = client.seq
    client.perform(key, request(seq), seq, (error: Error | null, response?: memjs.Response) => {
      if (error !== null || response === undefined) reject(error ?? new Error('memcached: no response'))
      else resolve({ status: response.header.status, cas: response.header.cas })
    })
  })
}

/**
 * ADD `key` = `value` for `expiry` (memcached's reading of the number). Resolves with the CAS of
 * the item created, `undefined` when the key already exists; `null` when the server keeps no
 * CAS (`-C`), so that nothing can be deleted conditionally.
 */
export async function addWithCas(
  client: Client,
  key: string,
  value: string,
  expiry: number,
): Promise<Buffer | null | undefined> {
  const extras = Buffer.concat([NO_FLAGS, memjs.Utils.makeExpiration(expiry)])
  const reply = await perform(client, key, (seq) =>
    memjs.Utils.makeRequestBuffer(ADD, key, extras, value, seq),
  )
  if (reply.status === KEY_EXISTS || reply.status === NOT_STORED) return undefined
  if (reply.status !== 0) throw new Error(`memcached ADD ${key}: status ${reply.status}`)
  return reply.cas.some((byte) => byte !== 0) ? Buffer.from(reply.cas) : null
}

/**
 * DELETE `key` only if its CAS is still `cas`: one command, decided by the server. Resolves with
 * whether it deleted (false when the key is gone or is another item now).
 */
export async function deleteIfCas(client: Client, key: string, cas: Buffer): Promise<boolean> {
  const reply = await perform(client, key, (seq) => {
    const request = memjs.Utils.makeRequestBuffer(DELETE, key, '', '', seq)
    cas.copy(request, CAS_OFFSET)
    return request
  })
  return reply.status === 0
}
