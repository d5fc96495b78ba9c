// The Node flags lifeguard's own process runs with (docs/decisions.md): every entry point passes them
// on node's command line — `npm start` (package.json), the image's ENTRYPOINT (Dockerfile and
// deploy/docker/) and the benches that start it (bench/start-server.ts); test/deploy/node-flags.test.ts
// checks that they agree. V8 takes them only there: set at run time, they abort the process.
//
// --single-threaded-gc: lifeguard's heap is small (tens of MB) and the machine's cores belong to its
// workers. V8's default helper threads (parallel scavenges, concurrent marking and sweeping) cost
// lifeguard ~5 µs more CPU per request on a 2-core machine (bench/gateway-overhead.ts) without
// shortening its pauses there (a young-generation pause is ~1.1 ms either way); a full mark-compact
// then pauses for its whole marking (~10 ms at tens of MB).
export const NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];
