export type {
  BriskBody,
  BriskHeaders,
  BriskHints,
  BriskMiddleware,
  BriskNext,
  BriskRequest,
  BriskRequestHeaders,
  BriskResponse,
  CacheForHint,
  HeaderValue,
} from './exchange.js'
export { compose, passThrough } from './compose.js'
export { answerNowOf, NOTHING_BELOW, withAnswerNow, type AnswerNow } from './answer-now.js'
export {
  admissionMiddleware,
  isAdmission,
  isPromise,
  setAdmissionHeaders,
  withEarlierHeaders,
  type Admission,
  type AdmissionMiddleware,
  type AdmitFunction,
} from './admission.js'
export { BriskOptionError, refuseUnknownOptions } from './options-error.js'
export {
  MAX_DURATION_MS,
  parseDuration,
  parseOptionalDuration,
  parseTimerDuration,
  type Duration,
} from './duration.js'
export { parseSize, type Size } from './size.js'
export { resolveLogger, type BriskLogger } from './logger.js'
export {
  BriskMetrics,
  COUNTERS,
  defaultMetrics,
  resolveMetrics,
  type CounterName,
  type MetricsListener,
} from './metrics.js'
export {
  BackendGuard,
  BackendUnavailableError,
  type BackendFailure,
  type BackendOptions,
  type BackendGuardOptions,
} from './backend-guard.js'
export { batchWrites } from './batch-writes.js'
export { quietClientErrors } from './quiet-client-errors.js'
export { appendVary, copyHeaders, headerValue } from './headers.js'
export { deltaSeconds, parseCacheControl, type CacheControlDirectives } from './cache-control.js'
export { applyDerivedRequest, beforeApp, createBriskRequest, type NodeRequestInfo } from './node-request.js'
export {
  refreshInBackground,
  REFRESH_DEADLINE_MS,
  serverListener,
  type RefreshListener,
  type RefreshVia,
} from './background-refresh.js'
export {
  captureResponse,
  snapshotHeaders,
  DEFAULT_BUFFER_LIMIT,
  type CaptureOptions,
  type ResponseCapture,
} from './capture-response.js'
export { writeAnswerAtOnce, writeResponse } from './write-response.js'
export { currentWriter, hasFieldsSet, headSent, type ResponseWriter } from './response-writer.js'
export {
  bindHints,
  boundHints,
  requestContext,
  MAX_TAGS,
  MAX_TAG_LENGTH,
  type BriskContext,
  type CacheForOptions,
} from './request-context.js'
export { applyHeaders, removeAppFields } from './apply-headers.js'
export { dropFieldsUnfitForRefusal, isEarlierField, isRefusal, markRefusal } from './earlier-fields.js'
