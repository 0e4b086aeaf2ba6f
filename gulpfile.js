// Copies node and credential icons next to the compiled code: n8n resolves `file:` icon
// paths relative to the .js file it loads from dist/.
const { src, dest, task } = require('gulp');

task('build:icons', () => src('icons/**/*.svg').pipe(dest('dist/icons')));
