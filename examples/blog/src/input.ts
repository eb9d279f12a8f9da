import type { PostInput } from './queries.js'
import { HttpError } from './route.js'

/** `?page=N`: 1 when absent; 400 for anything but a whole number from 1 to 100000. */
export function pageNumber(url: URL): number {
  const value = url.searchParams.get('page')
  if (value === null) return 1
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > 100_000) {
    throw new HttpError(400, 'The page parameter must be a whole number from 1')
  }
  return Number(value)
}

/** A post id from the path; 404 for anything that cannot be one. */
export function postId(value: string | undefined): number {
  if (value === undefined || !/^\d{1,12}$/.test(value)) throw new HttpError(404, 'No such post')
  return Number(value)
}

const TAG_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/

/** A tag name from the path; 404 for anything that cannot be one. */
export function tagName(value: string | undefined): string {
  if (value === undefined || !TAG_PATTERN.test(value)) throw new HttpError(404, 'No such tag')
  return value
}

const MAX_TITLE = 200
const MAX_BODY = 50_000
const MAX_TAGS = 5

/** The problem with a post someone submitted, shown next to the form. */
export class InvalidPostError extends HttpError {
  constructor(message: string) {
    super(422, message)
    this.name = 'InvalidPostError'
  }
}

/**
 * A post as submitted by the admin form or API: title and text required and bounded, tags
 * lower-cased, split on commas, at most five.
 */
export function postInput(fields: { title?: unknown; body?: unknown; tags?: unknown }): PostInput {
  const title = typeof fields.title === 'string' ? fields.title.trim() : ''
  const body = typeof fields.body === 'string' ? fields.body.replace(/\r\n/g, '\n').trim() : ''
  if (title === '' || title.length > MAX_TITLE) {
    throw new InvalidPostError(`The title must have 1 to ${MAX_TITLE} characters`)
  }
  if (body === '' || body.length > MAX_BODY) {
    throw new InvalidPostError(`The text must have 1 to ${MAX_BODY} characters`)
  }
  const rawTags = Array.isArray(fields.tags)
    ? fields.tags
    : typeof fields.tags === 'string'
      ? fields.tags.split(',')
      : []
  const tags = [
    ...new Set(
      rawTags
        .filter((tag): tag is string => typeof tag === 'string')
        .map((tag) => tag.trim().toLowerCase())
        .filter((tag) => tag !== ''),
    ),
  ]
  if (tags.length > MAX_TAGS) throw new InvalidPostError(`A post has at most ${MAX_TAGS} tags`)
  for (const tag of tags) {
    if (!TAG_PATTERN.test(tag)) {
      throw new InvalidPostError(
        `Tag "${tag.slice(0, 40)}" may only hold a-z, 0-9 and "-" (up to 40 characters)`,
      )
    }
  }
  return { title, body, tags }
}
