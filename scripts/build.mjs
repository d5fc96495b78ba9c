#!/usr/bin/env node
// `npm run build` (and `prepare`, which npm ci runs): an incremental tsc -b, then the stamp that lets
// `npm start` skip the build while nothing changed.
import { build } from './start.mjs';

build();
