export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/** Reads a Server-Sent Events response until it ends (or `until` says stop), parsing each message. */
export async function readSse(response: Response, until: (message: SseMessage) => boolean = () => false): Promise<SseMessage[]> {
  const messages: SseMessage[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return messages;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message: SseMessage = { event: 'message', data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const [field, ...rest] = line.split(':');
        const text = rest.join(':').replace(/^ /, '');
        if (field === 'id') message.id = text;
        else if (field === 'event') message.event = text;
        else if (field === 'data') message.data += text;
      }
      if (!message.data && !message.id) continue;
      messages.push(message);
      if (until(message)) {
        await reader.cancel();
        return messages;
      }
    }
  }
}
