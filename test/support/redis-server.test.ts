import { afterAll, describe, expect, it } from 'vitest'
import { redisCommand, startRedisCluster, startRedisServer, type RedisCluster } from './redis-server.js'

describe('test support: redis-server processes', () => {
  let cluster: RedisCluster | undefined
  afterAll(async () => {
    await cluster?.stop()
  })

  it('starts, stops and restarts a private server', async () => {
    const server = await startRedisServer()
    expect(await redisCommand(server.port, 'PING')).toMatch(/^\+PONG/)
    await server.stop()
    await expect(redisCommand(server.port, 'PING')).rejects.toThrow()
    await server.restart()
    expect(await redisCommand(server.port, 'PING')).toMatch(/^\+PONG/)
    await server.stop()
  })

  it('forms a 3-master cluster', async () => {
    cluster = await startRedisCluster(3)
    expect(cluster.startupNodes).toHaveLength(3)
    expect(await redisCommand(cluster.nodes[0]!.port, 'PING')).toMatch(/^\+PONG/)
  })
})
