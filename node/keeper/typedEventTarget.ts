/**
 * An `EventTarget` whose events are `CustomEvent`s with typed details, keyed by name
 * (the js-libp2p `TypedEventEmitter` shape). Unlike Node's `EventEmitter`, an `error`
 * event nobody listens to is simply dropped instead of crashing the process.
 */
export interface TypedEventTarget<EventDetails extends Record<string, unknown>> {
  addEventListener<K extends keyof EventDetails & string>(
    type: K,
    listener: (event: CustomEvent<EventDetails[K]>) => void,
    options?: boolean | { once?: boolean; passive?: boolean; signal?: AbortSignal },
  ): void
  removeEventListener<K extends keyof EventDetails & string>(
    type: K,
    listener: (event: CustomEvent<EventDetails[K]>) => void,
    options?: boolean | { capture?: boolean },
  ): void
  dispatchEvent(event: Event): boolean
}
