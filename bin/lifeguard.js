#!/usr/bin/env node
// The package's executable: runs the compiled CLI (npm start and npm run build compile it).
import('../dist/src/main.js');
