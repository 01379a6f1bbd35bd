// An S3-compatible server (s3rver, which checks SigV4 signatures) on 127.0.0.1 for the S3 source tests.
// usage: node s3_server.mjs PORT DIRECTORY BUCKET... ; prints "listening PORT" once it serves; runs until killed.
import S3rver from 's3rver';

const [port, directory, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  configureBuckets: buckets.map((name) => ({ name })),
});
await server.run();
console.log(`listening ${port}`);
