// A process that makes hook calls for the callers bench, as an agent's claude does: one POST each time it is told
// (over IPC), on a new connection or on one it keeps; it answers with the status. Plain Node: it imports nothing of
// Mission's.
import http from 'node:http';

const kept = new http.Agent({ keepAlive: true, maxSockets: 1 });

interface Call {
  url: string;
  headers: Record<string, string>;
  body: string;
  fresh: boolean;
}

process.on('message', (call: Call) => {
  const request = http.request(call.url, { method: 'POST', headers: call.headers, agent: call.fresh ? false : kept }, (response) => {
    response.resume();
    response.on('end', () => process.send!(response.statusCode));
  });
  request.end(call.body);
});
process.send!('ready');
