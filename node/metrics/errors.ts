import { BaseError } from '../../protocol/errors/base.ts'

/** `--metrics` names an address other users or other machines could reach. */
export class MetricsAddressNotLoopbackError extends BaseError {
  override name = 'MetricsAddressNotLoopbackError'
  constructor({ address }: { address: string }) {
    super(`The metrics address ${address} is not a loopback address: the node's metrics stay on this machine.`, {
      hint: 'Use --metrics 127.0.0.1:PORT (or [::1]:PORT) and let a local Prometheus or a tunnel reach it.',
    })
  }
}

/** `--metrics` is not HOST:PORT. */
export class InvalidMetricsAddressError extends BaseError {
  override name = 'InvalidMetricsAddressError'
  constructor({ address }: { address: string }) {
    super(`The metrics address "${address}" is not HOST:PORT.`, { hint: 'Use --metrics 127.0.0.1:9464 (port 0 picks a free one).' })
  }
}

/** The metrics port is taken or cannot be bound. */
export class MetricsListenError extends BaseError {
  override name = 'MetricsListenError'
  constructor({ address, cause }: { address: string; cause: unknown }) {
    super(`Could not serve metrics on ${address}.`, { cause, hint: 'Pick another port, or stop the process that holds this one.' })
  }
}
