// The gateway's client, for Node (20+) and browsers: `callGateway` sends a request and resolves
// with the backend's answer, sync or async alike; the error classes say why it didn't. Nothing in
// here uses a Node-only API (the build checks it against the DOM library with no Node types).

export type { ProblemCode } from '../gateway/errors.js';
export type { GatewayAnswer } from './answer.js';
export { type CallOptions, callGateway, type RequestBody, requestUrl } from './call-gateway.js';
export {
  CORRELATION_HEADER,
  DeadlineExceededError,
  type EndedStatus,
  GatewayProblemError,
  GatewayTimeoutError,
  GatewayUnreachableError,
  RequestEndedError,
  UnexpectedAnswerError,
} from './errors.js';
export type { PollInfo, RequestStatus, StatusListener, StatusResource } from './poll.js';
export type { FetchLike } from './transport.js';
