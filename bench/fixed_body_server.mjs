// The benchmark's HTTP floor: GET /bytes?n=N answers N bytes already in memory, doing no other work, on
// loopback. The same client fetching a body of each tile's size from here measures what HTTP alone costs
// any tile server, beside our tiles. A process of its own, so supercluster's garbage collection stays out.
//
// Usage: node bench/fixed_body_server.mjs PORT
import http from "node:http";

const [port] = process.argv.slice(2);
const bodies = new Map();
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://localhost");
  const n = Number(url.searchParams.get("n"));
  if (url.pathname !== "/bytes" || !Number.isInteger(n) || n < 0 || n > 16_000_000) {
    res.writeHead(400).end();
    return;
  }
  if (!bodies.has(n)) bodies.set(n, Buffer.alloc(n, 7));
  res.writeHead(200, { "Content-Type": "application/vnd.mapbox-vector-tile", "Content-Length": n });
  res.end(bodies.get(n));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), "127.0.0.1", () => {
  console.log("READY");
});
