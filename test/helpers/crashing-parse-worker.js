// A parse thread that dies on its first batch (what an out-of-memory thread looks like).
require('node:worker_threads').parentPort.on('message', () => process.exit(3));
