// A mail server for the tests: it speaks just enough SMTP (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA,
// RSET, NOOP, QUIT) on a loopback port to accept what Sesame sends and keep each message's raw text,
// so a test can read the mail a person would get. No TLS and no AUTH: Sesame is pointed at it with
// smtp://127.0.0.1:PORT?starttls=off, which it allows on loopback only.

import net from 'node:net';

export async function startSmtpSink() {
  const messages = [];
  const waiters = [];
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    let buf = '';
    let inData = false;
    let envelope = { from: '', to: [] };
    const reply = (line) => socket.write(`${line}\r\n`);
    reply('220 sink.test ESMTP test sink');
    socket.on('data', (chunk) => {
      buf += chunk;
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          // Undo dot-stuffing (RFC 5321 4.5.2).
          const raw = buf.slice(0, end).replace(/\r\n\.\./g, '\r\n.');
          buf = buf.slice(end + 5);
          inData = false;
          const msg = { ...envelope, raw };
          messages.push(msg);
          for (const w of waiters.splice(0)) w();
          envelope = { from: '', to: [] };
          reply('250 OK: queued');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply('250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8');
        else if (verb === 'HELO') reply('250 sink.test');
        else if (verb === 'MAIL') { envelope.from = line.replace(/^MAIL FROM:\s*/i, ''); reply('250 OK'); }
        else if (verb === 'RCPT') { envelope.to.push(line.replace(/^RCPT TO:\s*/i, '')); reply('250 OK'); }
        else if (verb === 'DATA') { inData = true; reply('354 End data with <CR><LF>.<CR><LF>'); }
        else if (verb === 'RSET') { envelope = { from: '', to: [] }; reply('250 OK'); }
        else if (verb === 'NOOP') reply('250 OK');
        else if (verb === 'QUIT') { reply('221 Bye'); socket.end(); return; }
        else reply('502 Command not implemented');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `smtp://127.0.0.1:${port}?starttls=off`,
    messages,
    /** Waits for a message to `to` (an address) and returns it, with its text decoded. */
    async next(to, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = messages.findIndex((m) => m.to.some((t) => t.includes(to)));
        if (i >= 0) {
          const [m] = messages.splice(i, 1);
          return { ...m, text: decodeQuotedPrintable(m.raw) };
        }
        if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms (${messages.length} others)`);
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

// Soft line breaks and =XX escapes of quoted-printable parts (RFC 2045 6.7); other parts pass through.
function decodeQuotedPrintable(s) {
  return s.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}
