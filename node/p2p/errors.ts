import { BaseError } from '../../protocol/errors/base.ts'

export class StreamClosedError extends BaseError {
  override name = 'StreamClosedError'
  constructor({ expected }: { expected: string }) {
    super(`The peer closed the stream before sending ${expected}.`)
  }
}

export class StreamClosedWhileSendingError extends BaseError {
  override name = 'StreamClosedWhileSendingError'
  constructor({ cause }: { cause?: unknown } = {}) {
    super('The stream closed before what was written to it was sent.', { cause, hint: 'The peer went away or reset the stream; asking again resumes a bundle transfer.' })
  }
}

export class PeerUnreachableError extends BaseError {
  override name = 'PeerUnreachableError'
  constructor({ peer, cause }: { peer: string; cause?: unknown }) {
    super(`Peer ${peer} cannot be reached.`, { cause, hint: 'Check that the provider is running and that its address is dialable.' })
  }
}
