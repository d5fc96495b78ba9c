// The Node flags lifeguard's own process runs with (docs/decisions.md): every entry point passes them
// on node's command line — `npm start` (package.json), the image's ENTRYPOINT (Dockerfile and
// deploy/docker/) and the benches that start it (bench/start-server.ts); test/deploy/node-flags.test.ts
// checks that they agree. V8 takes them only there: set at run time, they abort the process.
//
// --single-threaded-gc: lifeguard's heap is small (tens of MB) and the machine's cores belong to its
// workers. V8's default helper threads (parallel scavenges, concurrent marking and sweeping) cost
// lifeguard 6–9 µs of CPU per request on a 2-core machine (~2 µs without; docs/benchmarks.md) without
// shortening its pauses there (a young-generation pause is ~1.1 ms either way); a full mark-compact
// then marks within its pause (~8 ms at 20 MB).
export const NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];
