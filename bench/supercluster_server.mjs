// The benchmark's comparison: npm `supercluster` indexed on the same points as our database, behind a
// minimal HTTP server on loopback, answering GET /clusters?bbox=w,s,e,n&zoom=z with a GeoJSON
// FeatureCollection like our /api/v1/reports/clusters (clusters with a status breakdown, or points).
//
// Usage: node bench/supercluster_server.mjs POINTS_FILE PORT
// POINTS_FILE holds little-endian float64 quadruples (lng, lat, id, status index), as bench/maps.py writes.
import { readFileSync } from "node:fs";
import http from "node:http";
import Supercluster from "supercluster";

const STATUSES = ["received", "forwarded", "in_progress", "awaiting_approval", "completed", "rejected"];
const [file, port] = process.argv.slice(2);
const started = Date.now();
const buffer = readFileSync(file);
const values = new Float64Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 8);
const points = new Array(values.length / 4);
for (let i = 0; i < points.length; i++) {
  points[i] = {
    type: "Feature",
    properties: { id: values[i * 4 + 2], status: STATUSES[values[i * 4 + 3]] },
    geometry: { type: "Point", coordinates: [values[i * 4], values[i * 4 + 1]] },
  };
}
// A 64-pixel radius like our 64-pixel cells; clusters up to zoom 16 (the library's default).
const index = new Supercluster({
  radius: 64,
  maxZoom: 16,
  map: (props) => ({ statuses: { [props.status]: 1 } }),
  reduce: (acc, props) => {
    for (const [status, n] of Object.entries(props.statuses)) acc.statuses[status] = (acc.statuses[status] || 0) + n;
  },
}).load(points);

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://localhost");
  if (url.pathname !== "/clusters") {
    res.writeHead(404).end();
    return;
  }
  const bbox = (url.searchParams.get("bbox") || "").split(",").map(Number);
  const zoom = Number(url.searchParams.get("zoom"));
  if (bbox.length !== 4 || bbox.some((v) => !Number.isFinite(v)) || !Number.isInteger(zoom)) {
    res.writeHead(400, { "Content-Type": "application/json" }).end('{"detail":"bad bbox or zoom"}');
    return;
  }
  const features = index.getClusters(bbox, zoom).map((f) => {
    const [lng, lat] = f.geometry.coordinates;
    const p = f.properties;
    return p.cluster
      ? { type: "Feature", geometry: f.geometry, properties: { kind: "cluster", lng, lat, count: p.point_count, statuses: p.statuses } }
      : { type: "Feature", id: p.id, geometry: f.geometry, properties: { kind: "report", id: p.id, status: p.status } };
  });
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ type: "FeatureCollection", zoom, features }));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`READY ${points.length} ${Date.now() - started}`);
});
