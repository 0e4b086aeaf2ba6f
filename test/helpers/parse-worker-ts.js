// lib/mail/parse-worker.ts as a worker thread under Jest (the package runs the compiled .js).
require('./register-ts');
require('../../lib/mail/parse-worker.ts');
