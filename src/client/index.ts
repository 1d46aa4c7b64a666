// The gateway's client, for Node (20+) and browsers: `callGateway` sends a request and resolves
// with the backend's answer, sync or async alike; the error classes say why it didn't. Nothing in
// here uses a Node-only API (the build checks it against the DOM library with no Node types).
export { callGateway, requestUrl, type CallOptions, type RequestBody } from './call-gateway.js';
export type { GatewayAnswer } from './answer.js';
export type { PollInfo, RequestStatus, StatusListener, StatusResource } from './poll.js';
export type { FetchLike } from './transport.js';
export {
  CORRELATION_HEADER,
  DeadlineExceededError,
  GatewayProblemError,
  GatewayTimeoutError,
  GatewayUnreachableError,
  RequestEndedError,
  UnexpectedAnswerError,
  type EndedStatus,
} from './errors.js';
export type { ProblemCode } from '../gateway/errors.js';
