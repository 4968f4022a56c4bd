// One autocannon run in a process of its own, so that a load generator does not share the event
// loop of the server or of the process measuring another client. Options arrive as JSON in
// argv[2]; the result is printed as JSON on stdout.
import autocannon from 'autocannon';

const options = JSON.parse(process.argv[2] ?? '{}') as autocannon.Options;
autocannon(options, (error, result) => {
  if (error) {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify(result));
});
