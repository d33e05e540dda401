import { BaseError } from '../../protocol/errors/base.ts'

/** The dashboard's port is taken or cannot be bound. */
export class DashboardListenError extends BaseError {
  override name = 'DashboardListenError'
  constructor({ port, cause }: { port: number; cause: unknown }) {
    super(`Could not serve the dashboard on 127.0.0.1:${port}.`, { cause, hint: 'Pick another --port (0 picks a free one), or stop the process that holds this one.' })
  }
}
