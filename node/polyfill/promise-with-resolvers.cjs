// libp2p 3 calls Promise.withResolvers, which Node 22 added; Node 20 lacks it.
// Loaded with `--require` before anything else so the whole process sees it.
'use strict'
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve
    let reject
    const promise = new this((res, rej) => {
      resolve = res
      reject = rej
    })
    return { promise, resolve, reject }
  }
}
