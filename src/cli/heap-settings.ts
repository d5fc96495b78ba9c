import { setFlagsFromString } from 'node:v8';

// lifeguard's V8 settings, applied before anything else is loaded (main.ts imports this first).
// Allocation-site pretenuring moves the objects of a site that survived a young-generation GC straight
// into the old generation; under a steady stream of requests it does so for objects that die moments
// later, and RSS climbs by tens of MB between full GCs (bench/memory.ts: about 5 MB per 10 000
// requests with it, under 1 MB without; the JS heap after a full GC is the same either way).
setFlagsFromString('--no-allocation-site-pretenuring');
